/**
 * `npm run negotiator:turns -- --episodes FILE [--episodes FILE …] --out FILE.jsonl [--rounds 2]
 *    [--firm out|personality|bound] [--yielding free|floor]`
 * `npm run negotiator:turns -- --write-schema` (negotiator/turn-env.schema.json, the learner's contract)
 *
 * The PPO tasks of recorded games (turn-env.ts `turnTasks`), one JSON line each, and on stderr how the
 * recorded answers and the three-round teacher's score on them (turn-env.ts `scoreTurn`): the figures a
 * PPO run on these tasks starts from.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readEpisodes } from './select.ts';
import { projectRoot } from '../core/config.ts';
import {
  firmTurnsOptions,
  scoreTurn,
  teacherAnswer,
  turnEnvJsonSchema,
  turnTasks,
  yieldingTurnsOptions,
  type TurnTask,
} from './turn-env.ts';

export const turnEnvSchemaFile = path.join(projectRoot, 'negotiator', 'turn-env.schema.json');

/** Mean reward and error to the optimum of one answer per task. */
export function turnSummary(tasks: readonly TurnTask[], answer: (task: TurnTask) => string) {
  const scores = tasks.map((task) => scoreTurn(task, answer(task)));
  const errors = scores.flatMap((s) => (s.errorToOptimum === null ? [] : [s.errorToOptimum]));
  const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  return {
    turns: scores.length,
    meanReward: mean(scores.map((s) => s.reward)),
    valid: scores.filter((s) => s.valid).length / Math.max(1, scores.length),
    meanErrorToOptimum: mean(errors),
  };
}

if (import.meta.main) {
  const { values: args } = parseArgs({
    options: {
      episodes: { type: 'string', multiple: true },
      out: { type: 'string' },
      rounds: { type: 'string', default: '2' },
      'write-schema': { type: 'boolean', default: false },
      firm: { type: 'string', default: 'out' },
      yielding: { type: 'string', default: 'free' },
    },
  });
  if (args['write-schema']) {
    writeFileSync(turnEnvSchemaFile, JSON.stringify(turnEnvJsonSchema(), null, 2) + '\n');
    process.stderr.write(`wrote ${turnEnvSchemaFile}\n`);
    process.exit(0);
  }
  if (!args.episodes?.length || !args.out) {
    throw new Error('usage: negotiator:turns --episodes FILE [--episodes FILE …] --out FILE.jsonl');
  }
  const rounds = args.rounds.split(',').map((r) => {
    const n = Number(r);
    if (!Number.isInteger(n) || n < 2)
      throw new Error(`--rounds lists rounds ≥ 2 (a BO's opening is its ideal), not ${r}`);
    return n;
  });
  const firm = firmTurnsOptions.find((f) => f === args.firm);
  if (firm === undefined) throw new Error(`--firm is ${firmTurnsOptions.join(' or ')}, not ${args.firm}`);
  const yielding = yieldingTurnsOptions.find((y) => y === args.yielding);
  if (yielding === undefined)
    throw new Error(`--yielding is ${yieldingTurnsOptions.join(' or ')}, not ${args.yielding}`);
  const tasks = turnTasks(args.episodes.flatMap(readEpisodes), rounds, firm, yielding);
  if (tasks.length === 0) throw new Error('no off-mode BO turn to train on in these episodes');
  mkdirSync(path.dirname(args.out), { recursive: true });
  writeFileSync(args.out, tasks.map((t) => JSON.stringify(t)).join('\n') + '\n');
  const byRound = tasks.reduce<Record<string, number>>((acc, t) => {
    acc[`round ${t.round}`] = (acc[`round ${t.round}`] ?? 0) + 1;
    return acc;
  }, {});
  const teacher = (task: TurnTask) => JSON.stringify(teacherAnswer(task));
  process.stderr.write(
    `${tasks.length} turns ${JSON.stringify(byRound)} → ${args.out}\n` +
      `recorded answers: ${JSON.stringify(turnSummary(tasks, (t) => t.recordedAnswer))}\n` +
      `the three-round teacher: ${JSON.stringify(turnSummary(tasks, teacher))}\n`,
  );
}
