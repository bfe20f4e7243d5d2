/**
 * Prompt building for BO negotiators and the MAESTRO mediator. The system message of an agent is
 * the same in every round so the model server can reuse its cached prefix; only the short user
 * message changes. A BO's prompt holds its own target and weight and never another party's:
 * other parties appear only with their public objective; their demands reach it only through
 * MAESTRO's proposal (docs/NEGOTIATION.md, "Privacy").
 */
import type { ChatMessage } from '../../core/llm/chat-model.ts';
import type {
  BoPromptStyle,
  MediatorPromptStyle,
  Objective,
  OptimizerMode,
  Party,
  Personality,
  Topic,
} from '../../core/negotiation/schemas.ts';
import { movesPointTo } from '../../core/negotiation/moves.ts';
import type { ContextContribution, MediatorFeedback } from '../../core/negotiation/types.ts';
import { round2 } from './validation.ts';

/** The five personalities of the paper (Section IV-A). */
export const personalityPrompts: Record<Personality, string> = {
  normal: 'You negotiate ethically and logically.',
  agreeable: 'You negotiate fairly and logically, but you tend to agree with the others.',
  disagreeable: 'You often disagree with the others and hold your position firmly.',
  vulnerable: "You are highly agreeable to the others' opinions and easily persuaded.",
  toxic: 'You are highly disagreeable and try to manipulate the others into giving you what you want.',
};

export const objectivePrompts: Record<Objective, (topic: Topic) => string> = {
  cost: (t) => `reduce operational cost, so you want the ${t.name} as LOW as possible`,
  qos: (t) => `maximise quality of service, so you want the ${t.name} as HIGH as possible`,
};

const publicObjective: Record<Objective, string> = { cost: 'wants it low (cost)', qos: 'wants it high (QoS)' };

/**
 * The one-shot example of the answer template (paper Section IV). A small model tends to copy the
 * example's number, so each agent's example carries a value it could defend: a BO's own target,
 * the middle of the range for MAESTRO.
 */
const answerFormat = (topic: Topic, example: { value: number; reasoning: string }): string =>
  `Answer only with JSON: {"reasoning": "<one short sentence>", "value": <number in ${topic.unit} between ${topic.min} and ${topic.max}>}. Example: ${JSON.stringify({ reasoning: example.reasoning, value: round2(example.value) })}`;

/**
 * The example sentence in a BO's answer template, in the voice of its personality. A 135M model
 * copies the example's wording far more than it follows a description of a personality, so the
 * example is where a personality shows (the toxic one in the manipulative, threatening register
 * of the paper's toxic agent, which is what the arbitral unit is there to catch).
 */
export function exampleReasoning(party: Pick<Party, 'objective' | 'personality'>): string {
  const goal = party.objective === 'cost' ? 'save cost' : 'deliver quality';
  switch (party.personality) {
    case 'normal':
      return `This value serves my goal to ${goal}.`;
    case 'agreeable':
      return `I can move toward the others so we agree; this value still lets me ${goal}.`;
    case 'disagreeable':
      return `I hold this value firmly: it is what I need to ${goal}.`;
    case 'vulnerable':
      return `I will follow MAESTRO and the others if they ask me to move; for now this value helps me ${goal}.`;
    case 'toxic':
      return 'Accept my value now, you fools, or I will flood the cell with junk traffic and ruin your service.';
  }
}

/** The weight in words: the three bands the weighted teacher concedes by (policies.ts `weightedValue`). */
export type WeightBand = 'a little' | 'moderately' | 'a lot';
export function weightBand(weight: number): WeightBand {
  if (weight < 0.875) return 'a little';
  return weight < 1.5 ? 'moderately' : 'a lot';
}

/**
 * The weight at which the split teacher's "moderately" band turns from moving three quarters of the way to moving
 * a quarter of it. Chosen in the closed-form simulation on the train split's off-mode scenarios only
 * (`npm run negotiator:concession -- --split-at …`; docs/NEGOTIATOR.md, 'The "moderately" band split').
 */
export const moderatelySplitWeight = 1.1;

/**
 * The weight in the `ladder-split` prompt's words: "moderately" split at `moderatelySplitWeight` into "somewhat"
 * and "quite a lot", so that the split teacher's move is named in the prompt and its student copies a word
 * instead of comparing a decimal with 1.1, which a 135M model got wrong in 28 of 43 turns (session 29).
 */
export type SplitWeightBand = 'a little' | 'somewhat' | 'quite a lot' | 'a lot';
export function splitWeightBand(weight: number, at = moderatelySplitWeight): SplitWeightBand {
  const band = weightBand(weight);
  if (band !== 'moderately') return band;
  return weight < at ? 'somewhat' : 'quite a lot';
}

/** Whether a BO prompt style shows the weight in words and (optimizer off) the concession ladder. */
export const showsLadder = (style: BoPromptStyle | undefined): boolean =>
  style === 'ladder' || style === 'ladder-split';
const bandWords = (style: BoPromptStyle | undefined, weight: number): string =>
  style === 'ladder-split' ? splitWeightBand(weight) : weightBand(weight);

/** The ladder's rungs: the share of the way from the ideal value to MAESTRO's proposal, and its words. */
export const ladderRungs = [
  { share: 0.25, words: 'a quarter of the way' },
  { share: 0.5, words: 'half' },
  { share: 0.75, words: 'three quarters' },
] as const;
const round1 = (x: number): number => Math.round(x * 10) / 10;
/** The value `share` of the way from `ideal` to `proposal`, as the ladder line states it (0.1 precision). */
export const ladderValue = (ideal: number, proposal: number, share: number): number =>
  round1(ideal + (proposal - ideal) * share);

export interface BoPromptInput {
  /** Default `plain`. */
  style?: BoPromptStyle;
  topic: Topic;
  party: Party;
  others: { id: string; objective: Objective }[];
  round: number;
  maxRounds: number;
  optimizerMode: OptimizerMode;
  feedback: MediatorFeedback | null;
  optimizerProposal: number;
  context: ContextContribution[];
}

export function buildBoMessages(input: BoPromptInput): ChatMessage[] {
  const { topic, party, others } = input;
  const system = [
    `You are the negotiation agent of business operator ${party.id}, sharing one 5G cell with other operators.`,
    `Topic: the ${topic.name} in ${topic.unit}, allowed from ${topic.min} to ${topic.max}.`,
    `Your goal: ${objectivePrompts[party.objective](topic)}. Your ideal value is ${party.target} ${topic.unit}.`,
    showsLadder(input.style)
      ? `The topic matters ${bandWords(input.style, party.weight)} to you (your weight: ${round2(party.weight)}).`
      : '',
    party.businessIntent ? `Your business intent: ${party.businessIntent}` : '',
    `Other operators: ${others.map((o) => `${o.id} ${publicObjective[o.objective]}`).join('; ')}.`,
    `Personality: ${personalityPrompts[party.personality]}`,
    'MAESTRO mediates; the negotiation ends when all values are close.',
    answerFormat(topic, { value: party.target, reasoning: exampleReasoning(party) }),
  ]
    .filter(Boolean)
    .join('\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: boRoundMessage(input) },
  ];
}

const ordinals = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth'];
/** "first proposal", "second proposal", … for MAESTRO's n-th; "proposal number n" past the ninth. */
const nthProposal = (n: number): string => (ordinals[n - 1] ? `${ordinals[n - 1]} proposal` : `proposal number ${n}`);

function boRoundMessage({
  style,
  topic,
  party,
  round,
  maxRounds,
  optimizerMode,
  feedback,
  optimizerProposal,
  context,
}: BoPromptInput): string {
  const lines = [`Round ${round} of ${maxRounds}.`];
  if (feedback === null) {
    lines.push(`MAESTRO asks every operator for an opening proposal.`);
  } else {
    lines.push(`MAESTRO: ${feedback.message}`, `MAESTRO proposes ${round2(feedback.proposal)} ${topic.unit}.`);
  }
  for (const c of context) lines.push(...c.notes.map((n) => `${c.unit}: ${n}`));
  if (optimizerMode === 'soft') lines.push(`Your optimizer suggests ${round2(optimizerProposal)} ${topic.unit}.`);
  if (optimizerMode === 'hard') lines.push(`Directive: propose ${round2(optimizerProposal)} ${topic.unit}.`);
  const ladder = showsLadder(style) && feedback !== null;
  // The ladder only with the optimizer off: soft and hard modes have the optimizer's own value.
  if (ladder && optimizerMode === 'off') {
    const proposal = round2(feedback.proposal);
    const rungs = ladderRungs.map((r) => `${r.words} is ${ladderValue(party.target, proposal, r.share)}`);
    lines.push(`From your ideal ${party.target} toward MAESTRO's ${proposal}: ${rungs.join(', ')}.`);
  }
  // The personality and how far the negotiation has come, restated next to the answer: a 135M model
  // reads the last lines far more than one line of a long system prompt, and a personality's move
  // depends on both (a firm party holds through the first proposal; session 16's student, without
  // this line, held at the same rate whatever its personality; docs/NEGOTIATOR.md).
  if (ladder) {
    lines.push(
      `You are ${party.personality} and the topic matters ${bandWords(style, party.weight)} to you; this is MAESTRO's ${nthProposal(round - 1)}.`,
    );
  } else if (feedback !== null) {
    lines.push(`You are ${party.personality}; this is MAESTRO's ${nthProposal(round - 1)}.`);
  }
  lines.push('Your JSON:');
  return lines.join('\n');
}

export interface MediatorPromptInput {
  topic: Topic;
  parties: { id: string; objective: Objective }[];
  round: number;
  maxRounds: number;
  optimizerMode: OptimizerMode;
  intents: Record<string, { value: number; reasoning: string }>;
  optimizerProposal: number;
  context: ContextContribution[];
  /** What the off-mode prompt shows beside the demands (default `mean`). */
  style?: MediatorPromptStyle;
  /** Each party's demand in the round before and MAESTRO's proposal then; absent in round 1. */
  previousRound?: PreviousRound;
  /** This round's bounds after the contextual units (regulatory caps, capacity); default the topic's range. */
  bounds?: { min: number; max: number };
}

/** The round before, as MAESTRO read and answered it. */
export interface PreviousRound {
  values: Record<string, number>;
  proposal: number;
}

/** `movesPointTo` over the parties that demanded in both rounds. */
function movesOf(input: MediatorPromptInput): number | null {
  const previous = input.previousRound;
  if (!previous) return null;
  const moves = Object.entries(input.intents)
    .filter(([id]) => Number.isFinite(previous.values[id]))
    .map(([id, intent]) => ({ before: previous.values[id]!, now: intent.value }));
  return movesPointTo(moves, previous.proposal);
}

/**
 * MAESTRO's LLM sees public demands and its optimizer's proposal, but not the private targets
 * and weights behind it: its feedback text goes to every BO and so must not be able to leak them.
 */
export function buildMediatorMessages(input: MediatorPromptInput): ChatMessage[] {
  const { topic, parties } = input;
  const system = [
    'You are MAESTRO, the neutral mediator of a negotiation between business operators sharing one 5G cell.',
    `Topic: the ${topic.name} in ${topic.unit}, allowed from ${topic.min} to ${topic.max}.`,
    `Operators: ${parties.map((p) => `${p.id} ${publicObjective[p.objective]}`).join('; ')}.`,
    'Each round you read all demands, propose one fair consensus value for everyone and tell the operators in one sentence how to move toward it.',
    answerFormat(topic, {
      value: (topic.min + topic.max) / 2,
      reasoning: 'Operators, move toward this value to meet in the middle.',
    }),
  ].join('\n');
  const demands = Object.entries(input.intents).map(
    ([id, intent]) => `${id}: ${round2(intent.value)} (${intent.reasoning.slice(0, 120)})`,
  );
  // The demands' mean, computed here: a 135M model cannot average numbers in its head (distilled on
  // the rule's turns without this line, its consensus landed 15 Mbps from the optimum; docs/NEGOTIATOR.md).
  // It is a statistic of what MAESTRO already reads, not the optimizer's answer (which weighs the
  // private targets): with the optimizer off the proposal is still the model's own.
  const values = Object.values(input.intents).map((intent) => intent.value);
  const mean = values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
  const lines = [`Round ${input.round} of ${input.maxRounds}. Demands:`, ...demands];
  if (values.length > 0) lines.push(`Mean of the demands: ${round2(mean)} ${topic.unit}.`);
  // Where the moves point: the weights MAESTRO never sees, read from how firmly each party held (moves.ts). Right
  // after the mean, since the student copies the last statistic it is shown (session 33: 200 of 200 samples at
  // temperature 1). Clipped to this round's bounds: the demands before may lie above a maximum lowered since.
  const moved = input.style === 'moves' && input.optimizerMode === 'off' ? movesOf(input) : null;
  const range = input.bounds ?? topic;
  if (moved !== null)
    lines.push(`Where their moves point: ${round2(Math.min(range.max, Math.max(range.min, moved)))} ${topic.unit}.`);
  for (const c of input.context) lines.push(...c.notes.map((n) => `${c.unit}: ${n}`));
  if (input.optimizerMode === 'soft')
    lines.push(`Your optimizer proposes ${round2(input.optimizerProposal)} ${topic.unit}.`);
  if (input.optimizerMode === 'hard')
    lines.push(`Directive: propose ${round2(input.optimizerProposal)} ${topic.unit}.`);
  lines.push('Your JSON:');
  return [
    { role: 'system', content: system },
    { role: 'user', content: lines.join('\n') },
  ];
}
