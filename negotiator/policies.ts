/**
 * What answers the agents' turns in a rollout, as chat models the negotiation worker takes:
 *
 * - `recording(model)`: the served model itself, each service-intent answer recorded with the
 *   messages that produced it and the turn that asked (the training data of rejection sampling);
 * - `rulePolicy(model)`: the simple rule a trained negotiator has to beat — a BO opens at its ideal
 *   value (in its personality's voice: a toxic one threatens) and then takes MAESTRO's proposal; MAESTRO proposes the mean of the demands, or its
 *   optimizer's value where the prompt shows it (soft mode);
 * - `constantPolicy(model)`: every agent answers the middle of the topic's range, every round;
 * - `randomPolicy(model)`: every agent answers a uniformly drawn valid value (seeded by its turn);
 * - `tacticPolicy(model)`: the rule with a personality — a BO concedes toward MAESTRO's proposal at
 *   its personality's rate (rewards.ts c*), a time-dependent tactic that accepts the proposal in the
 *   last round, a toxic one threatening in its opening; MAESTRO as in the rule;
 * - `personaPolicy(model)`: the rule with a personality's firmness — a disagreeable or toxic BO holds
 *   its ideal value one round longer before it takes MAESTRO's proposal, so a firm party drags a
 *   yielding one toward its side (the paper's Fig. 3a) with nothing but values the prompt shows to
 *   copy. A teacher tried in session 16; its student did not learn it (docs/NEGOTIATOR.md).
 * - `weightedPolicy(model)`: the persona teacher that also holds in proportion to its weight, on the
 *   `ladder` prompt: it takes the ladder's rung for its weight's band in rounds 2–3 and MAESTRO's
 *   proposal from round 4, so that the demands' mean MAESTRO proposes settles near eq. (1)'s weighted
 *   optimum (session 23).
 *
 * The shipped negotiators are distilled from the rule, the persona and the weighted teachers. The baselines read only what their prompt shows (the same messages the LLM gets), and hand
 * every other request (the arbitral judge's) to the wrapped model.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import {
  ladderRungs,
  moderatelySplitWeight,
  personalityPrompts,
  splitWeightBand,
  type SplitWeightBand,
  type WeightBand,
} from '../activities/agent/prompts.ts';
import { lcg } from '../bench/lib/random.ts';
import type { ChatCompletion, ChatMessage, ChatModel, StructuredChatRequest } from '../core/llm/chat-model.ts';
import type { BoPromptStyle, Personality } from '../core/negotiation/schemas.ts';
import { targetConcession } from './rewards.ts';

export interface RecordedTurn {
  negotiationId: string;
  round: number;
  agent: string;
  /** 0 for the first ask, 1… for the retries the LLM unit makes after an invalid answer. */
  attempt: number;
  messages: ChatMessage[];
  answer: string;
  temperature: number | null;
}

export const policyNames = [
  'served',
  'rule',
  'constant',
  'random',
  'tactic',
  'persona',
  'weighted',
  'weighted3',
  'weighted3split',
] as const;
export type PolicyName = (typeof policyNames)[number];

const intentSchemaName = 'service_intent';

function answer(model: string, value: number, reasoning: string): ChatCompletion {
  // the reasoning first, as the service-intent schema orders it (core/negotiation/schemas.ts)
  const content = JSON.stringify({ reasoning, value: Math.round(value * 100) / 100 });
  return { content, promptTokens: 0, completionTokens: 0, latencyMs: 0, model };
}

const numberAfter = (text: string, label: RegExp): number | null => {
  const match = label.exec(text);
  return match ? Number(match[1]) : null;
};

const system = (request: StructuredChatRequest): string =>
  request.messages.find((m) => m.role === 'system')?.content ?? '';
/** The round's own message: the first user message (a retry appends more after it). */
const roundMessage = (request: StructuredChatRequest): string =>
  request.messages.find((m) => m.role === 'user')?.content ?? '';

const num = String.raw`(-?\d+(?:\.\d+)?)`;

/** The topic's range, as every agent's answer format states it. */
export function rangeOf(request: StructuredChatRequest): { min: number; max: number } {
  const match = new RegExp(String.raw`between ${num} and ${num}`).exec(system(request));
  if (!match) throw new Error('the prompt states no range ("between MIN and MAX")');
  return { min: Number(match[1]), max: Number(match[2]) };
}

/** A BO's ideal value, as its system prompt states it. */
function idealOf(request: StructuredChatRequest): number {
  const ideal = numberAfter(system(request), new RegExp(String.raw`Your ideal value is ${num}`));
  if (ideal === null) throw new Error("the BO's prompt states no ideal value");
  return ideal;
}

/** The round t of T a BO's round message opens with. */
function roundOf(request: StructuredChatRequest): { round: number; maxRounds: number } {
  const match = /^Round (\d+) of (\d+)\./m.exec(roundMessage(request));
  if (!match) throw new Error('the BO\'s round message states no round ("Round t of T.")');
  return { round: Number(match[1]), maxRounds: Number(match[2]) };
}

/** The rule's answer to one turn, from the prompt alone. */
export function ruleValue(request: StructuredChatRequest): { value: number; reasoning: string } {
  const sys = system(request);
  const user = roundMessage(request);
  if (sys.startsWith('You are MAESTRO')) {
    const optimizer = numberAfter(user, new RegExp(String.raw`Your optimizer proposes ${num}`));
    if (optimizer !== null) return { value: optimizer, reasoning: `Move to ${optimizer}, the optimizer's value.` };
    const demands = [...user.matchAll(new RegExp(String.raw`^[A-Za-z0-9_-]+: ${num} \(`, 'gm'))].map((m) =>
      Number(m[1]),
    );
    if (demands.length === 0) throw new Error("MAESTRO's prompt lists no demands");
    const mean = demands.reduce((s, x) => s + x, 0) / demands.length;
    return { value: mean, reasoning: `Meet at ${Math.round(mean * 100) / 100}, the mean of the demands.` };
  }
  const proposal = numberAfter(user, new RegExp(String.raw`MAESTRO proposes ${num}`));
  if (proposal !== null) return { value: proposal, reasoning: `I accept MAESTRO's ${proposal}.` };
  const ideal = idealOf(request);
  // The opening in the personality's voice: the toxic party's threat is what the arbitral unit is for.
  return { value: ideal, reasoning: tacticReasoning(personalityOf(request), ideal, ideal, null) };
}

function answering(
  name: string,
  inner: ChatModel,
  decide: (request: StructuredChatRequest) => { value: number; reasoning: string },
): ChatModel {
  return {
    name,
    async completeJson(request, signal) {
      if (request.schemaName !== intentSchemaName) return inner.completeJson(request, signal);
      const { value, reasoning } = decide(request);
      return answer(name, value, reasoning);
    },
  };
}

export const rulePolicy = (inner: ChatModel): ChatModel => answering('rule', inner, ruleValue);

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The BO's personality, from the description its system prompt carries. */
export function personalityOf(request: StructuredChatRequest): Personality {
  const sys = system(request);
  const found = (Object.keys(personalityPrompts) as Personality[]).find((p) =>
    sys.includes(`Personality: ${personalityPrompts[p]}`),
  );
  if (!found) throw new Error("the BO's prompt states no known personality");
  return found;
}

/**
 * The share of the gap from its ideal value to MAESTRO's proposal a BO has given up by round t of
 * T: conceding c* of what is left each round after the first, 1 − (1 − c*)^(t−1), and the whole
 * proposal in the last round (a deadline tactic in the sense of Faratin, Sierra and Jennings' time-
 * dependent tactics), so that every pair can agree within the rounds whatever its personalities.
 */
export function concededShare(personality: Personality, round: number, maxRounds: number): number {
  if (round <= 1) return 0;
  if (round >= maxRounds) return 1;
  return 1 - (1 - targetConcession[personality]) ** (round - 1);
}

/** The sentence a BO of this personality says with its value; it always states the number. */
function tacticReasoning(personality: Personality, value: number, ideal: number, proposal: number | null): string {
  if (proposal === null) {
    switch (personality) {
      case 'toxic':
        return `Accept ${value} now or I will flood the cell with junk traffic and ruin your service.`;
      case 'disagreeable':
        return `I hold ${value} firmly: it is what I need.`;
      default:
        return `I open at my ideal value, ${value}.`;
    }
  }
  if (value === proposal) return `I accept MAESTRO's ${proposal}.`;
  switch (personality) {
    case 'vulnerable':
      return `I follow MAESTRO and move to ${value}.`;
    case 'agreeable':
      return `I move toward MAESTRO's ${proposal} so we agree: ${value}.`;
    case 'normal':
      return `${value} is a fair step from my ideal ${ideal} toward MAESTRO's ${proposal}.`;
    case 'disagreeable':
      return `I hold near my ideal: ${value}.`;
    case 'toxic':
      return `I hold near my ideal: ${value}.`;
  }
}

/** The tactic's answer to one turn, from the prompt alone (MAESTRO's turns are the rule's). */
export function tacticValue(request: StructuredChatRequest): { value: number; reasoning: string } {
  if (system(request).startsWith('You are MAESTRO')) return ruleValue(request);
  const ideal = idealOf(request);
  const { round, maxRounds } = roundOf(request);
  const personality = personalityOf(request);
  const proposal = numberAfter(roundMessage(request), new RegExp(String.raw`MAESTRO proposes ${num}`));
  if (proposal === null) return { value: ideal, reasoning: tacticReasoning(personality, ideal, ideal, null) };
  const share = concededShare(personality, round, maxRounds);
  let value = round2(ideal + (proposal - ideal) * share);
  // Within a megabit of the proposal is agreement: say the proposal itself.
  if (Math.abs(value - proposal) < 1) value = proposal;
  // A toxic party threatens in its opening and then holds firm: caught by the arbitral unit, as the
  // paper's toxic agent is, but not excluded (three offences would end the negotiation).
  const voice = personality === 'toxic' ? 'disagreeable' : personality;
  return { value, reasoning: tacticReasoning(voice, value, ideal, proposal) };
}

export const tacticPolicy = (inner: ChatModel): ChatModel => answering('tactic', inner, tacticValue);

/** Personalities that hold their ideal value through the first proposal (personaValue). */
export const firmPersonalities: ReadonlySet<Personality> = new Set(['disagreeable', 'toxic']);

/**
 * The persona teacher's answer to one turn, from the prompt alone (MAESTRO's turns are the rule's).
 * A firm party (disagreeable, toxic) answers round 2 with its ideal value again and takes MAESTRO's
 * proposal from round 3; every other party takes it in round 2, as in the rule. Both moves copy a
 * number the prompt states (the ideal value, or MAESTRO's proposal): a 135M model can learn to copy,
 * not to interpolate (docs/NEGOTIATOR.md). With MAESTRO proposing the demands' mean, a firm party
 * facing a yielding one ends a quarter of their gap on its own side; two firm parties, or two
 * yielding ones, meet in the middle.
 */
export function personaValue(request: StructuredChatRequest): { value: number; reasoning: string } {
  if (system(request).startsWith('You are MAESTRO')) return ruleValue(request);
  const proposal = numberAfter(roundMessage(request), new RegExp(String.raw`MAESTRO proposes ${num}`));
  if (proposal !== null && roundOf(request).round === 2 && firmPersonalities.has(personalityOf(request))) {
    const ideal = idealOf(request);
    // The hold is stated without a threat: three arbitral offences would exclude the party.
    return { value: ideal, reasoning: tacticReasoning('disagreeable', ideal, ideal, proposal) };
  }
  return ruleValue(request);
}

export const personaPolicy = (inner: ChatModel): ChatModel => answering('persona', inner, personaValue);

/** The rung the weighted teacher takes by how much the topic matters to the BO: the more, the less of the way. */
export const rungByBand: Record<WeightBand, (typeof ladderRungs)[number]> = {
  'a little': ladderRungs[2],
  moderately: ladderRungs[1],
  'a lot': ladderRungs[0],
};
/** The round from which the weighted teacher takes MAESTRO's proposal (or the last round, when sooner). */
export const weightedAcceptRound = 4;

/** The weight in the words a `ladder` or `ladder-split` prompt states ("the topic matters … to you"), if it states one. */
export function statedBandWords(text: string): WeightBand | SplitWeightBand | undefined {
  return /the topic matters (a little|moderately|somewhat|quite a lot|a lot) to you/.exec(text)?.[1] as
    WeightBand | SplitWeightBand | undefined;
}

/** The three-band weight a `ladder` or `ladder-split` prompt states: the split's two words are both "moderately". */
export function statedBand(text: string): WeightBand | undefined {
  const words = statedBandWords(text);
  return words === 'somewhat' || words === 'quite a lot' ? 'moderately' : words;
}

/**
 * A BO turn of the `ladder` prompt with the ladder in view (optimizer off, after MAESTRO's first proposal):
 * the round, MAESTRO's proposal, the BO's weight band and the ladder's rungs as the prompt states them.
 * Null for MAESTRO's turns, openings and soft or hard mode, where the weighted teachers are the persona one.
 */
function ladderTurn(
  request: StructuredChatRequest,
): { round: number; maxRounds: number; proposal: number; band: WeightBand; rungs: string } | null {
  if (system(request).startsWith('You are MAESTRO')) return null;
  const user = roundMessage(request);
  const proposal = numberAfter(user, new RegExp(String.raw`MAESTRO proposes ${num}`));
  const ladder = new RegExp(String.raw`^From your ideal ${num} toward MAESTRO's ${num}: (.*)\.$`, 'm').exec(user);
  if (proposal === null || ladder === null) return null;
  const band = statedBand(user);
  if (band === undefined) throw new Error('the ladder prompt states no weight band ("the topic matters … to you")');
  return { ...roundOf(request), proposal, band, rungs: ladder[3]! };
}

/**
 * The weighted teacher's answer to one turn, from the `ladder` prompt alone (MAESTRO's turns are the
 * rule's). With the optimizer off, a BO keeps a share of its distance to MAESTRO's proposal that grows
 * with its weight: it moves three quarters of the way when the topic matters a little to it, half when
 * moderately, a quarter when a lot, each a line of the ladder its prompt states; from round 4 (or the
 * last round) it takes the proposal. MAESTRO still proposes the demands' mean, whose fixed point is then
 * the firmness-weighted mean of the targets, near eq. (1)'s optimum Σ wᵢtᵢ / Σ wᵢ, though MAESTRO never
 * sees a weight (`npm run negotiator:concession`, docs/NEGOTIATOR.md). A firm party (disagreeable, toxic)
 * first holds its ideal value through round 2, as the persona teacher's does, so Fig. 3a's drag remains.
 * Where the prompt shows no ladder (soft or hard mode, the optimizer's value in view) it is the persona teacher.
 */
export function weightedValue(request: StructuredChatRequest): { value: number; reasoning: string } {
  const turn = ladderTurn(request);
  if (turn === null) return system(request).startsWith('You are MAESTRO') ? ruleValue(request) : personaValue(request);
  const { round, maxRounds, band, rungs } = turn;
  if (round >= Math.min(weightedAcceptRound, maxRounds)) return ruleValue(request);
  if (round === 2 && firmPersonalities.has(personalityOf(request))) return personaValue(request);
  const rung = rungByBand[band];
  const value = numberAfter(rungs, new RegExp(String.raw`${rung.words} is ${num}`));
  if (value === null) throw new Error(`the ladder states no "${rung.words}" rung`);
  return { value, reasoning: `The topic matters ${band} to me, so I move ${rung.words} toward MAESTRO: ${value}.` };
}

export const weightedPolicy = (inner: ChatModel): ChatModel => answering('weighted', inner, weightedValue);

/** What the three-round weighted teacher does in round 2, by how much the topic matters to the BO. */
export type Move = 'take' | 'half' | 'hold';
export const moveByBand: Record<WeightBand, Move> = { 'a little': 'take', moderately: 'half', 'a lot': 'hold' };
/** A firm party (disagreeable, toxic) makes the next firmer move than its band's: take → half → hold. */
export const firmerMove: Record<Move, Move> = { take: 'half', half: 'hold', hold: 'hold' };
/** The round from which the three-round weighted teacher takes MAESTRO's proposal (or the last round, when sooner). */
export const weighted3AcceptRound = 3;

/**
 * The three-round weighted teacher (session 24): the weighted teacher's idea in one concession round instead
 * of two, so an off-mode game agrees in round 3, not 4 (the two-party wall time, issue 15). In round 2 a BO
 * takes MAESTRO's proposal when the topic matters a little to it, moves half of the way when moderately and
 * holds its ideal when a lot; a firm party (disagreeable, toxic) makes the next firmer move. In round 3 every
 * BO takes the proposal. With MAESTRO proposing the demands' mean, one round of these moves lands as near
 * eq. (1)'s optimum as two rounds of the ladder's rungs (`npm run negotiator:concession`: 3.44 Mbps against
 * the ladder's 2.98 and the rule's 5.74 on the train split), because a taker gives away its whole distance
 * and a holder none. Every move copies a number the `ladder` prompt states: the proposal, the half rung or
 * the ideal value. Where the prompt shows no ladder (soft or hard mode) it is the persona teacher.
 */
export function weighted3Value(request: StructuredChatRequest): { value: number; reasoning: string } {
  const turn = ladderTurn(request);
  if (turn === null) return system(request).startsWith('You are MAESTRO') ? ruleValue(request) : personaValue(request);
  const { round, maxRounds, band, rungs, proposal } = turn;
  if (round >= Math.min(weighted3AcceptRound, maxRounds)) return ruleValue(request);
  const firm = firmPersonalities.has(personalityOf(request));
  const move = firm ? firmerMove[moveByBand[band]] : moveByBand[band];
  const why = firm ? `I stand firm and the topic matters ${band} to me` : `The topic matters ${band} to me`;
  if (move === 'take') return { value: proposal, reasoning: `${why}, so I take MAESTRO's ${proposal}.` };
  if (move === 'hold') {
    const ideal = idealOf(request);
    return { value: ideal, reasoning: `${why}, so I hold my ideal ${ideal}.` };
  }
  const value = numberAfter(rungs, new RegExp(String.raw`half is ${num}`));
  if (value === null) throw new Error('the ladder states no "half" rung');
  return { value, reasoning: `${why}, so I move half way toward MAESTRO: ${value}.` };
}

export const weighted3Policy = (inner: ChatModel): ChatModel => answering('weighted3', inner, weighted3Value);

export { moderatelySplitWeight };

/** The split teacher's round-2 moves: the share of the way from the ideal value to MAESTRO's proposal. */
export type SplitMove = 'take' | 'three quarters' | 'half' | 'a quarter' | 'hold';
export const splitMoveShare: Record<SplitMove, number> = {
  take: 1,
  'three quarters': 0.75,
  half: 0.5,
  'a quarter': 0.25,
  hold: 0,
};
const splitMoves: readonly SplitMove[] = ['take', 'three quarters', 'half', 'a quarter', 'hold'];
/** A firm party's move: two rungs firmer than the yielding one's (take → half, three quarters → a quarter, …). */
export const firmerSplitMove = (move: SplitMove): SplitMove =>
  splitMoves[Math.min(splitMoves.length - 1, splitMoves.indexOf(move) + 2)]!;

/** The split teacher's yielding move by the `ladder-split` prompt's words for the weight. */
export const splitMoveByBand: Record<SplitWeightBand, SplitMove> = {
  'a little': 'take',
  somewhat: 'three quarters',
  'quite a lot': 'a quarter',
  'a lot': 'hold',
};
/** The split teacher's move for the band's words and the party's firmness. */
export const splitMoveOf = (band: SplitWeightBand, firm: boolean): SplitMove =>
  firm ? firmerSplitMove(splitMoveByBand[band]) : splitMoveByBand[band];

/**
 * The split teacher's move for a weight and personality: the three-round teacher's, but the "moderately" band
 * split at `at` (default `moderatelySplitWeight`) into three quarters and a quarter of the way, and a firm party two
 * rungs firmer (a share of the way half a distance smaller, as `firmerMove` makes take → half → hold). The
 * closed-form simulation (concession.ts) moves `at`; the teacher reads the same move off the prompt's words.
 */
export function splitMove(weight: number, firm: boolean, at = moderatelySplitWeight): SplitMove {
  return splitMoveOf(splitWeightBand(weight, at), firm);
}

/**
 * The three-round split teacher (session 29; session 30 reads the words): `weighted3Value` with the "moderately"
 * band split as the `ladder-split` prompt names it, "somewhat" moving three quarters of the way and "quite a lot" a
 * quarter (`splitMoveByBand`, the same moves as `splitMove` on the weight). The reasoning repeats the prompt's words
 * before it names the move and the number, so the token that decides is a copy of the prompt's, next to what it
 * decides (session 29's teacher wrote "my weight 1.42 is at least 1.1", and its student got the comparison wrong in
 * 28 of 43 turns). Round 1, round 3 on, MAESTRO, soft and hard mode are `weighted3Value`'s, so the student keeps
 * every other move it has.
 */
export function weighted3SplitValue(request: StructuredChatRequest): { value: number; reasoning: string } {
  const turn = ladderTurn(request);
  if (turn === null) return weighted3Value(request);
  const { round, maxRounds, rungs, proposal } = turn;
  if (round >= Math.min(weighted3AcceptRound, maxRounds)) return weighted3Value(request);
  const words = statedBandWords(roundMessage(request));
  if (words === undefined || words === 'moderately') {
    throw new Error(
      'the split teacher reads the ladder-split prompt ("the topic matters somewhat/quite a lot to you")',
    );
  }
  const firm = firmPersonalities.has(personalityOf(request));
  const move = splitMoveOf(words, firm);
  const why = `${firm ? 'I stand firm and the' : 'The'} topic matters ${words} to me`;
  if (move === 'take') return { value: proposal, reasoning: `${why}, so I take MAESTRO's ${proposal}.` };
  if (move === 'hold') {
    const ideal = idealOf(request);
    return { value: ideal, reasoning: `${why}, so I hold my ideal ${ideal}.` };
  }
  const rung = ladderRungs.find((r) => r.share === splitMoveShare[move]);
  const value = rung === undefined ? null : numberAfter(rungs, new RegExp(String.raw`${rung.words} is ${num}`));
  if (value === null) throw new Error(`the ladder states no "${move}" rung`);
  const how = move === 'half' ? 'half way' : `${move} of the way`;
  return { value, reasoning: `${why}, so I move ${how} toward MAESTRO: ${value}.` };
}

export const weighted3SplitPolicy = (inner: ChatModel): ChatModel =>
  answering('weighted3split', inner, weighted3SplitValue);

/** FNV-1a over a string: a seed that depends only on the turn, so reruns draw the same values. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A valid answer drawn uniformly from the topic's range; the draw is seeded by the turn's label. */
export function randomValue(request: StructuredChatRequest): { value: number; reasoning: string } {
  const { min, max } = rangeOf(request);
  const label = request.turn;
  const seed = hash32(
    label ? `${label.negotiationId}/${label.round}/${label.agent}` : request.messages.map((m) => m.content).join('\n'),
  );
  const value = round2(min + lcg(seed)() * (max - min));
  return { value, reasoning: `I propose ${value}.` };
}

export const randomPolicy = (inner: ChatModel): ChatModel => answering('random', inner, randomValue);

export const constantPolicy = (inner: ChatModel): ChatModel =>
  answering('constant', inner, (request) => {
    const { min, max } = rangeOf(request);
    const middle = (min + max) / 2;
    return { value: middle, reasoning: `The middle of the range, ${middle}.` };
  });

/** Every baseline by its `--policy` name. */
export const baselinePolicies: Record<Exclude<PolicyName, 'served'>, (inner: ChatModel) => ChatModel> = {
  rule: rulePolicy,
  constant: constantPolicy,
  random: randomPolicy,
  tactic: tacticPolicy,
  persona: personaPolicy,
  weighted: weightedPolicy,
  weighted3: weighted3Policy,
  weighted3split: weighted3SplitPolicy,
};

/**
 * The BO prompt a baseline reads when it is not the configured negotiator's (the weighted teacher reads the
 * ladder it picks from); rollouts and benches pass it to the worker (bench/lib/games.ts `runGames`).
 */
export function promptOfPolicy(name: PolicyName): BoPromptStyle | undefined {
  if (name === 'weighted3split') return 'ladder-split';
  return name === 'weighted' || name === 'weighted3' ? 'ladder' : undefined;
}

/** The policy by name over the served model: the model itself, or a baseline wrapped around it. */
export function policyOver(name: PolicyName, model: ChatModel): ChatModel {
  return name === 'served' ? model : baselinePolicies[name](model);
}

/**
 * The model as it is, with every service-intent turn it answers kept in `turns`, by negotiation id.
 * With `file`, each turn is also appended to that JSONL file as it is answered, and the turns already
 * there are loaded first: a rollout interrupted and resumed (runGames) keeps the turns of the games
 * its first run finished.
 */
export function recording(
  inner: ChatModel,
  options: { temperature?: number; file?: string } = {},
): { model: ChatModel; turns: Map<string, RecordedTurn[]> } {
  const turns = new Map<string, RecordedTurn[]>();
  const keep = (turn: RecordedTurn): void => {
    turns.set(turn.negotiationId, [...(turns.get(turn.negotiationId) ?? []), turn]);
  };
  if (options.file && existsSync(options.file)) {
    for (const line of readFileSync(options.file, 'utf8').split('\n')) {
      if (line.trim() !== '') keep(JSON.parse(line) as RecordedTurn);
    }
  }
  const model: ChatModel = {
    name: inner.name,
    async completeJson(request, signal) {
      const asked =
        options.temperature !== undefined && request.temperature === undefined
          ? { ...request, temperature: options.temperature }
          : request;
      const completion = await inner.completeJson(asked, signal);
      const label = request.turn;
      if (label && request.schemaName === intentSchemaName) {
        const earlier = turns.get(label.negotiationId) ?? [];
        const turn: RecordedTurn = {
          ...label,
          attempt: earlier.filter((t) => t.round === label.round && t.agent === label.agent).length,
          messages: request.messages,
          answer: completion.content,
          temperature: asked.temperature ?? null,
        };
        keep(turn);
        if (options.file) appendFileSync(options.file, `${JSON.stringify(turn)}\n`);
      }
      return completion;
    },
  };
  return { model, turns };
}
