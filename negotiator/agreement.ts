/**
 * `npm run negotiator:agreement -- --turns data/negotiator/rollouts/TAG.turns.jsonl --teacher weighted3 [--out F]`
 *
 * Where a student leaves its teacher. Outcomes (`negotiator:compare`) say how far a game ended from the optimum;
 * this says which turns made it so: every first-attempt turn a rollout recorded is put to the teacher's rule
 * on the very same messages, and the two values are compared, grouped by agent, optimizer mode, round and (for
 * a BO under the ladder prompt) its weight band and whether it is firm. A student can only be as good as the
 * turns it copies, so the groups where it agrees least are where the next training data should go.
 * Run it on train-split rollouts when choosing what to train; held-out ones only to report.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { StructuredChatRequest } from '../core/llm/chat-model.ts';
import type { OptimizerMode } from '../core/negotiation/schemas.ts';
import { answeredValue, readEpisodes } from './select.ts';
import {
  firmPersonalities,
  personaValue,
  personalityOf,
  ruleValue,
  statedBandWords,
  tacticValue,
  weighted3SplitValue,
  weighted3Value,
  weightedValue,
  type RecordedTurn,
} from './policies.ts';

/** The teachers whose answer is a function of the prompt alone. */
export const teacherValues = {
  rule: ruleValue,
  tactic: tacticValue,
  persona: personaValue,
  weighted: weightedValue,
  weighted3: weighted3Value,
  weighted3split: weighted3SplitValue,
} as const;
export type TeacherName = keyof typeof teacherValues;

export interface AgreementRow {
  group: string;
  turns: number;
  agree: number;
  /** Answers that were not the JSON asked for (never agreeing). */
  invalid: number;
  /** Mean |student − teacher| over the group's valid answers, in the topic's unit. */
  meanGap: number;
}

/** A value within this of the teacher's is the teacher's (both are rounded to 0.01, ladder rungs to 0.1). */
const sameValue = 0.05;

/** The group a turn falls in: agent, mode, round, and a ladder BO's weight band (in its prompt's words) and firmness. */
export function groupOf(turn: RecordedTurn, mode: OptimizerMode | 'unknown'): string {
  if (turn.agent === 'maestro') return `maestro ${mode} r${turn.round}`;
  const user = turn.messages.find((m) => m.role === 'user')?.content ?? '';
  const band = statedBandWords(user);
  const request = { messages: turn.messages } as StructuredChatRequest;
  const firm = firmPersonalities.has(personalityOf(request)) ? 'firm' : 'yielding';
  return `bo ${mode} r${turn.round}${band ? ` ${band}` : ''} ${firm}`;
}

export function agreement(
  turns: readonly RecordedTurn[],
  teacher: TeacherName,
  modeOf: (negotiationId: string) => OptimizerMode | 'unknown',
): AgreementRow[] {
  const groups = new Map<string, { turns: number; agree: number; invalid: number; gap: number }>();
  for (const turn of turns) {
    if (turn.attempt !== 0) continue;
    const student = answeredValue(turn);
    const expected = teacherValues[teacher]({ messages: turn.messages } as StructuredChatRequest).value;
    const key = groupOf(turn, modeOf(turn.negotiationId));
    const g = groups.get(key) ?? { turns: 0, agree: 0, invalid: 0, gap: 0 };
    g.turns += 1;
    if (student === null) g.invalid += 1;
    else {
      const gap = Math.abs(student - expected);
      g.agree += gap <= sameValue ? 1 : 0;
      g.gap += gap;
    }
    groups.set(key, g);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, g]) => {
      const valid = g.turns - g.invalid;
      const meanGap = valid === 0 ? 0 : Math.round((g.gap / valid) * 100) / 100;
      return { group, turns: g.turns, agree: g.agree, invalid: g.invalid, meanGap };
    });
}

function main(): void {
  const { values } = parseArgs({
    options: { turns: { type: 'string' }, teacher: { type: 'string', default: 'weighted3' }, out: { type: 'string' } },
  });
  if (!values.turns) throw new Error('--turns FILE.turns.jsonl is required');
  const teacher = values.teacher as TeacherName;
  if (!(teacher in teacherValues)) throw new Error(`--teacher must be one of ${Object.keys(teacherValues).join(', ')}`);
  const turns = readFileSync(values.turns, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RecordedTurn);
  // the episodes beside the turns say each game's optimizer mode
  const episodesFile = values.turns.replace(/\.turns\.jsonl$/, '.jsonl');
  const modes = new Map<string, OptimizerMode>();
  if (episodesFile !== values.turns)
    for (const e of readEpisodes(episodesFile)) modes.set(e.workflowId, e.scenario.request.optimizerMode);
  const rows = agreement(turns, teacher, (id) => modes.get(id) ?? 'unknown');
  const total = rows.reduce((s, r) => ({ turns: s.turns + r.turns, agree: s.agree + r.agree }), { turns: 0, agree: 0 });
  console.log(`${values.turns}: ${total.agree}/${total.turns} first-attempt turns take the ${teacher} teacher's value`);
  for (const r of rows)
    console.log(
      `${r.group.padEnd(40)} ${String(r.agree).padStart(4)}/${String(r.turns).padEnd(4)} mean gap ${r.meanGap}` +
        (r.invalid > 0 ? `, ${r.invalid} invalid` : ''),
    );
  if (values.out) {
    mkdirSync(path.dirname(values.out), { recursive: true });
    writeFileSync(values.out, `${JSON.stringify({ turns: values.turns, teacher, total, rows }, null, 2)}\n`);
    console.log(`wrote ${values.out}`);
  }
}

if (import.meta.main) main();
