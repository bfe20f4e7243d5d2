/**
 * The PPO environment's reward, served to the learner over a pipe: `node negotiator/turn-reward-server.ts
 * --tasks FILE.jsonl [--tasks …]` reads `{"id", "text"}` lines on stdin and writes one `TurnReward` line per request on
 * stdout, in order (turn-env.ts `scoreTurn`). The learner (`sixg_learner.training.negotiation`) starts it once
 * per run, so the reward is the TypeScript one the workflow's rules and rewards.ts define, not a port of it.
 * A request for an unknown task or a malformed line is answered with an `error` line, and the server goes on.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { scoreTurn, turnRewardRequestSchema, turnTaskSchema, type TurnTask } from './turn-env.ts';

export function loadTurnTasks(files: readonly string[]): Map<string, TurnTask> {
  const tasks = new Map<string, TurnTask>();
  for (const file of files) readTasks(file, tasks);
  return tasks;
}

function readTasks(file: string, tasks: Map<string, TurnTask>): void {
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .forEach((line, i) => {
      const parsed = turnTaskSchema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${file}:${i + 1} is no turn task: ${parsed.error.message}`);
      tasks.set(parsed.data.id, parsed.data);
    });
}

/** One request line → one answer line. */
export function answerLine(tasks: ReadonlyMap<string, TurnTask>, line: string): string {
  let request;
  try {
    request = turnRewardRequestSchema.parse(JSON.parse(line));
  } catch (err) {
    return JSON.stringify({ error: `bad request line: ${err instanceof Error ? err.message : String(err)}` });
  }
  const task = tasks.get(request.id);
  if (task === undefined) return JSON.stringify({ error: `no task ${request.id}` });
  return JSON.stringify(scoreTurn(task, request.text));
}

if (import.meta.main) {
  const { values: args } = parseArgs({ options: { tasks: { type: 'string', multiple: true } } });
  if (!args.tasks?.length) {
    throw new Error('usage: node negotiator/turn-reward-server.ts --tasks FILE.jsonl [--tasks FILE.jsonl …]');
  }
  const tasks = loadTurnTasks(args.tasks);
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    process.stdout.write(answerLine(tasks, line) + '\n');
  }
}
