/**
 * `npm run negotiator:select -- --episodes data/negotiator/rollouts/<tag>.jsonl --out <file.jsonl>
 *    [--require-consensus true] [--max-bo-turns N]`
 *
 * Rejection sampling's selection (RLDTF Section III-B, applied to negotiation): of the k rollouts of
 * each training scenario, keep for every agent (each BO and MAESTRO) its turns from the rollout where
 * its own reward (negotiator/rewards.ts) was highest — only a rollout that reached consensus, by
 * default. A kept turn is one the agent answered validly at its first ask with the value the round
 * recorded, so the example is exactly what was said and acted on. Writes chat records
 * (`messages` ending with the assistant's answer) for the learner's SFT
 * (`npm run sixg:train -- sft --data <file>`, the same code path as the 6G-LLM's), with each
 * record's scenario, agent, round and reward beside them.
 *
 * `--max-bo-turns N` keeps every MAESTRO turn and a seeded draw of N BO turns: a teacher's BO turns
 * (open at the ideal value, take the proposal) are many and alike, MAESTRO's are the hard ones, and
 * on two cores the SFT's time goes by the number of turns. `--max-maestro-turns N` draws MAESTRO's the
 * same way.
 *
 * `--personalities LIST` and `--from-round R` narrow the kept turns to BOs of those personalities in
 * rounds ≥ R (MAESTRO's turns are dropped once `--personalities` is given): the turns a student gets
 * wrong, drawn again from the teacher to be weighted up (docs/NEGOTIATOR.md, "The firm party's later
 * rounds").
 *
 * Episodes are grouped by scenario id alone: games of one scenario played in another arbitration mode
 * (`negotiator:rollout --arbitration monitoring`) count as further samples of it, and only the best
 * per agent is kept. Select each mode's file on its own to keep both (negotiator/distill.sh does).
 *
 * Refuses held-out episodes: the held-out split is for measuring, never for training.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Episode } from './episode.ts';
import type { RecordedTurn } from './policies.ts';
import { lcg } from '../bench/lib/random.ts';
import { personalitySchema, type Personality } from '../core/negotiation/schemas.ts';

export interface SftRecord {
  messages: { role: string; content: string }[];
  scenario: string;
  agent: string;
  round: number;
  reward: number;
  /** A BO's personality (absent on MAESTRO's turns). */
  personality?: Personality;
}

function agentReward(episode: Episode, agent: string): number {
  if (agent === 'maestro') return episode.reward.mediator.total;
  return episode.reward.parties.find((p) => p.partyId === agent)?.total ?? Number.NEGATIVE_INFINITY;
}

/** The value this agent's answer stated, if it parses (the answer is the model's raw JSON text). */
export function answeredValue(turn: RecordedTurn): number | null {
  try {
    const parsed = JSON.parse(turn.answer) as { value?: unknown };
    return typeof parsed.value === 'number' && Number.isFinite(parsed.value) ? parsed.value : null;
  } catch {
    return null;
  }
}

/** The turns of `agent` in `episode` that were answered at the first ask with the value the round kept. */
export function actedTurns(episode: Episode, agent: string): RecordedTurn[] {
  const turns = episode.turns ?? [];
  return turns.filter((turn) => {
    if (turn.agent !== agent || turn.attempt !== 0) return false;
    const retried = turns.some((t) => t.agent === agent && t.round === turn.round && t.attempt > 0);
    if (retried) return false;
    const record = episode.state.rounds.find((r) => r.round === turn.round);
    if (!record) return false;
    const kept = agent === 'maestro' ? record.mediator.proposal : record.values[agent];
    const said = answeredValue(turn);
    return kept !== undefined && said !== null && Math.abs(kept - said) < 1e-6;
  });
}

export function selectTurns(episodes: readonly Episode[], options: { requireConsensus: boolean }): SftRecord[] {
  const byScenario = new Map<string, Episode[]>();
  for (const episode of episodes) {
    if (episode.scenario.split !== 'train') {
      throw new Error(`episode ${episode.workflowId} is from the ${episode.scenario.split} split: train only`);
    }
    byScenario.set(episode.scenario.id, [...(byScenario.get(episode.scenario.id) ?? []), episode]);
  }
  const records: SftRecord[] = [];
  for (const [scenarioId, samples] of byScenario) {
    const eligible = samples.filter((e) => e.turns !== null && (!options.requireConsensus || e.reward.consensus));
    const parties = samples[0]!.scenario.request.parties;
    const agents = ['maestro', ...parties.map((p) => p.id)];
    for (const agent of agents) {
      const personality = parties.find((p) => p.id === agent)?.personality;
      const best = [...eligible].sort((a, b) => agentReward(b, agent) - agentReward(a, agent))[0];
      if (!best) continue;
      for (const turn of actedTurns(best, agent)) {
        records.push({
          messages: [...turn.messages, { role: 'assistant', content: turn.answer }],
          scenario: scenarioId,
          agent,
          round: turn.round,
          reward: agentReward(best, agent),
          ...(personality === undefined ? {} : { personality }),
        });
      }
    }
  }
  return records;
}

/** At most `max` of the records `of` picks, drawn with a seeded shuffle; every other record and the order kept. */
function capTurns(
  records: readonly SftRecord[],
  of: (r: SftRecord) => boolean,
  max: number,
  seed: number,
): SftRecord[] {
  const pool = records.map((r, i) => (of(r) ? i : -1)).filter((i) => i >= 0);
  if (pool.length <= max) return [...records];
  const next = lcg(seed);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const keep = new Set(pool.slice(0, max));
  return records.filter((r, i) => !of(r) || keep.has(i));
}

/** Every MAESTRO record and at most `maxBo` BO records, drawn with a seeded shuffle; order kept. */
export function capBoTurns(records: readonly SftRecord[], maxBo: number, seed = 1): SftRecord[] {
  return capTurns(records, (r) => r.agent !== 'maestro', maxBo, seed);
}

/** Every BO record and at most `maxMaestro` MAESTRO records, drawn with a seeded shuffle; order kept. */
export function capMaestroTurns(records: readonly SftRecord[], maxMaestro: number, seed = 1): SftRecord[] {
  return capTurns(records, (r) => r.agent === 'maestro', maxMaestro, seed);
}

/** Only BO turns of these personalities (MAESTRO's dropped) when `personalities` is given, only rounds ≥ `fromRound`. */
export function focusTurns(
  records: readonly SftRecord[],
  focus: { personalities: readonly Personality[] | null; fromRound: number; promptMatches?: RegExp },
): SftRecord[] {
  const prompt = (r: SftRecord): string =>
    r.messages
      .filter((m) => m.role !== 'assistant')
      .map((m) => m.content)
      .join('\n');
  return records.filter(
    (r) =>
      r.round >= focus.fromRound &&
      (focus.personalities === null || (r.personality !== undefined && focus.personalities.includes(r.personality))) &&
      (focus.promptMatches === undefined || focus.promptMatches.test(prompt(r))),
  );
}

export function readEpisodes(file: string): Episode[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Episode);
}

if (import.meta.main) {
  const { values: args } = parseArgs({
    options: {
      episodes: { type: 'string', multiple: true },
      out: { type: 'string' },
      'require-consensus': { type: 'string', default: 'true' },
      'max-bo-turns': { type: 'string' },
      'max-maestro-turns': { type: 'string' },
      personalities: { type: 'string' },
      'from-round': { type: 'string', default: '1' },
      /** Keep only the turns whose prompt (system and user messages) matches this regular expression. */
      'prompt-matches': { type: 'string' },
    },
  });
  if (!args.episodes?.length || !args.out) {
    throw new Error('usage: negotiator:select --episodes FILE [--episodes FILE …] --out FILE.jsonl');
  }
  if (!['true', 'false'].includes(args['require-consensus'])) throw new Error('--require-consensus is true or false');
  const episodes = args.episodes.flatMap(readEpisodes);
  const selected = selectTurns(episodes, { requireConsensus: args['require-consensus'] === 'true' });
  const count = (flag: 'max-bo-turns' | 'max-maestro-turns' | 'from-round'): number | null => {
    const raw = args[flag];
    if (raw === undefined) return null;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag} is an integer ≥ 0, not ${raw}`);
    return n;
  };
  const personalities =
    args.personalities === undefined
      ? null
      : args.personalities.split(',').map((p) => personalitySchema.parse(p.trim()));
  const promptMatches = args['prompt-matches'] === undefined ? undefined : new RegExp(args['prompt-matches']);
  let records = focusTurns(selected, {
    personalities,
    fromRound: count('from-round') ?? 1,
    ...(promptMatches ? { promptMatches } : {}),
  });
  const maxBo = count('max-bo-turns');
  const maxMaestro = count('max-maestro-turns');
  if (maxBo !== null) records = capBoTurns(records, maxBo);
  if (maxMaestro !== null) records = capMaestroTurns(records, maxMaestro);
  if (records.length === 0) throw new Error('no turn was kept: nothing to train on');
  mkdirSync(path.dirname(args.out), { recursive: true });
  writeFileSync(args.out, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const perAgent = records.reduce<Record<string, number>>((acc, r) => {
    const role = r.agent === 'maestro' ? 'maestro' : 'bo';
    acc[role] = (acc[role] ?? 0) + 1;
    return acc;
  }, {});
  process.stderr.write(
    `kept ${records.length} turns (${JSON.stringify(perAgent)}) from ${episodes.length} episodes → ${args.out}\n`,
  );
}
