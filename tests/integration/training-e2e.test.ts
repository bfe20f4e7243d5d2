/**
 * The retraining pipeline end to end on the real stack, small: a Temporal dev server, the
 * TypeScript training worker, the Python learner worker (`python -m sixg_learner.worker`) training
 * SmolLM2-135M (converted from the packaged GGUF) with the Sionna twin's system-level rewards —
 * two tasks, two answers each, one RS round, two PPO steps across a continue-as-new, evaluation,
 * promotion with the GGUF export. Then the same pipeline again: every step finds its checkpoint
 * and nothing is trained twice (what a learner crash relies on). Its history is replayed, and
 * `MAESTRO_RECORD_HISTORIES=1` refreshes the committed one in tests/histories/.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { projectRoot } from '../../core/config.ts';
import type { RetrainingInput, RetrainingResult } from '../../workflows/training/pipeline.ts';
import { config, startTemporal, workflowBundle } from '../helpers/stack.ts';
import { createTrainingWorker } from '../../workers/training-worker.ts';

const python = path.join(projectRoot, '.venv', 'bin', 'python');
const baseModel = path.join(projectRoot, 'data', 'models', 'smollm2-135m-hf');
const learnerQueue = 'e2e-learner';
const trainingQueue = 'e2e-training';

let env: TestWorkflowEnvironment;
let work: string;
let learner: ChildProcess | undefined;

/** The learner worker as `npm start` runs it, from `work` (where promotion writes data/models/). */
function startLearner(): ChildProcess {
  const child = spawn(
    python,
    [
      '-m',
      'sixg_learner.worker',
      '--address',
      env.address,
      '--namespace',
      config.namespace,
      '--task-queue',
      learnerQueue,
    ],
    // One torch thread per training child: the test shares two cores with the Temporal server.
    { cwd: work, env: { ...process.env, OMP_NUM_THREADS: '1' }, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  return child;
}

function jsonLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function checkpointJson(dir: string): { step: number; phase: string; lineage: { parent: string | null } } {
  return JSON.parse(readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')) as {
    step: number;
    phase: string;
    lineage: { parent: string | null };
  };
}

before(async () => {
  // The trainable base: converted once from the packaged GGUF (idempotent; ~40 s the first time).
  const converted = spawnSync(python, ['-m', 'sixg_learner.export.convert', '--out', baseModel], {
    cwd: projectRoot,
    stdio: 'inherit',
  });
  assert.equal(converted.status, 0, 'converting the base model failed');
  work = mkdtempSync(path.join(tmpdir(), 'maestro-rldtf-e2e-'));
  const tasks = readFileSync(path.join(projectRoot, 'learner/tests/fixtures/tasks-small.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, 2);
  writeFileSync(path.join(work, 'tasks.jsonl'), tasks.join('\n') + '\n');
  const qa = [
    ['How many PRBs fit a 20 MHz carrier at 30 kHz subcarrier spacing?', '51 PRBs (TS 38.101-1 Table 5.3.2-1).'],
    ['What modulation does MCS 13 of TS 38.214 Table 5.1.3.1-1 use?', '16QAM, code rate x 1024 = 490.'],
    ['How long is a slot at 30 kHz subcarrier spacing?', '0.5 ms (numerology 1).'],
    ['What packet delay budget does 5QI 1 have?', '100 ms (conversational voice).'],
  ].map(([q, a], i) => ({
    id: `qa-${i}`,
    messages: [
      { role: 'user', content: q },
      { role: 'assistant', content: a },
    ],
    source: 'test',
  }));
  writeFileSync(path.join(work, 'qa.jsonl'), qa.map((r) => JSON.stringify(r)).join('\n') + '\n');
  env = await startTemporal();
  learner = startLearner();
});

after(async () => {
  learner?.kill('SIGTERM');
  await env?.teardown();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('RLDTF retraining on the real learner', () => {
  const input = (): RetrainingInput => ({
    learnerTaskQueue: learnerQueue,
    trainingTaskQueue: trainingQueue,
    tasksFile: path.join(work, 'tasks.jsonl'),
    evalTasksFile: path.join(work, 'tasks.jsonl'),
    base: baseModel,
    outRoot: path.join(work, 'runs'),
    domain: { dataFile: path.join(work, 'qa.jsonl'), epochs: 1, evalSize: 0 },
    rs: { k: 2, maxRounds: 1 },
    rl: { totalSteps: 2, stepsPerRun: 1, k: 2, refRefreshSteps: 1 },
    seed: 3,
  });
  const workflowId = 'rldtf-e2e';

  it('trains, evaluates and promotes; checkpoints chain their lineage and every step recorded metrics', async () => {
    const worker = await createTrainingWorker({
      connection: env.nativeConnection,
      namespace: config.namespace,
      taskQueue: trainingQueue,
      timeouts: config.topology.timeouts,
      workflowBundle: await workflowBundle('training'),
    });
    const result = (await worker.runUntil(
      env.client.workflow.execute('retrainingPipelineWorkflow', {
        taskQueue: trainingQueue,
        workflowId,
        args: [input()],
      }),
    )) as RetrainingResult;
    const out = path.join(work, 'runs', workflowId);

    // domain step → its checkpoint, phase sft, trained from the base
    assert.equal(result.domain?.checkpoint.path, path.join(out, 'domain', 'sft-epoch-1'));
    assert.equal(checkpointJson(path.join(out, 'domain', 'sft-epoch-1')).phase, 'sft');
    assert.ok((result.domain?.first_loss ?? 0) > 0);

    // RS: one round measured on the twin (it may keep nothing from an untrained model: then RL starts from sft)
    const rsRows = jsonLines(path.join(out, 'rs', 'round-1', 'metrics.jsonl'));
    assert.equal(rsRows.length, 1);
    assert.equal(rsRows[0]!.phase, 'rs');
    assert.equal(rsRows[0]!['rs/sampled'], 4);
    assert.equal(rsRows[0]!['charts/valid_rate'], 1, 'the answer grammar makes every answer a valid plan');

    // RL: two PPO steps, each a checkpoint continuing the one before
    const ppoRows = jsonLines(path.join(out, 'rl', 'metrics.jsonl'));
    assert.deepEqual(
      ppoRows.map((r) => r.step),
      [1, 2],
    );
    for (const row of ppoRows) {
      for (const key of ['losses/policy', 'losses/value', 'losses/kl_ref', 'charts/mean_reward']) {
        assert.equal(typeof row[key], 'number', `${key} recorded`);
      }
    }
    const step2 = path.join(out, 'rl', 'ppo-step-000002');
    assert.equal(result.rl.checkpoint, step2);
    assert.equal(checkpointJson(step2).lineage.parent, path.join(out, 'rl', 'ppo-step-000001'));
    const rsCheckpoint = path.join(out, 'rs', 'round-1', 'rs-round-1');
    const step1Parent = checkpointJson(path.join(out, 'rl', 'ppo-step-000001')).lineage.parent;
    assert.equal(step1Parent, existsSync(rsCheckpoint) ? rsCheckpoint : path.join(out, 'domain', 'sft-epoch-1'));

    // evaluation of the RL checkpoint on the twin, and the first promotion with its GGUF for the model server
    assert.equal(result.evaluation.tasks, 2);
    const report = JSON.parse(readFileSync(result.evaluation.report, 'utf8')) as { records: unknown[] };
    assert.equal(report.records.length, 2);
    assert.equal(result.promotion.promoted, true);
    const promoted = JSON.parse(readFileSync(path.join(work, 'data', 'models', 'promoted.json'), 'utf8')) as {
      checkpoint: string;
      gguf: string | null;
    };
    assert.equal(promoted.checkpoint, step2);
    assert.ok(promoted.gguf && existsSync(path.join(work, promoted.gguf)), 'the promoted model was exported to GGUF');

    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    // replayed under its own id: the children's ids (rldtf-e2e-rs, -rl) derive from it
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle('training') }, history, workflowId);
    if (process.env.MAESTRO_RECORD_HISTORIES === '1') {
      writeFileSync(path.join(projectRoot, 'tests', 'histories', `${workflowId}.json`), historyToJSON(history));
    }
  });

  it('run again over the same folders, every step finds its checkpoint and nothing is trained twice', async () => {
    const out = path.join(work, 'runs', workflowId);
    const lines = (file: string) => jsonLines(path.join(out, file)).length;
    const before = {
      rs: lines('rs/round-1/metrics.jsonl'),
      rl: lines('rl/metrics.jsonl'),
      sft: lines('domain/metrics.jsonl'),
    };
    // a restarted learner, as after a crash
    learner?.kill('SIGKILL');
    learner = startLearner();
    const worker = await createTrainingWorker({
      connection: env.nativeConnection,
      namespace: config.namespace,
      taskQueue: trainingQueue,
      timeouts: config.topology.timeouts,
      workflowBundle: await workflowBundle('training'),
    });
    const started = Date.now();
    const again = (await worker.runUntil(
      env.client.workflow.execute('retrainingPipelineWorkflow', {
        taskQueue: trainingQueue,
        workflowId,
        args: [input()],
      }),
    )) as RetrainingResult;
    assert.equal(again.rl.checkpoint, path.join(out, 'rl', 'ppo-step-000002'));
    assert.deepEqual(
      { rs: lines('rs/round-1/metrics.jsonl'), rl: lines('rl/metrics.jsonl'), sft: lines('domain/metrics.jsonl') },
      before,
      'no step ran again',
    );
    // evaluation is not a training step: it runs again (and the same model is not promoted over itself)
    assert.equal(again.promotion.promoted, false);
    process.stderr.write(`[e2e] second pipeline run: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  });
});
