/**
 * `npm test`: static checks first (types, lint, format, Python lint), then the whole suite on the
 * real stack: the local model server is started once here; each integration test file starts its
 * own Temporal dev server (TestWorkflowEnvironment with the project's `temporal` binary).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../core/config.ts';
import { httpOk, startModelServer, stopService, venvBin, waitUntil } from './services.ts';

const bin = (name: string): string => path.join(projectRoot, 'node_modules', '.bin', name);

function step(title: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const started = Date.now();
  console.log(`\n== ${title}`);
  const result = spawnSync(command, args, { cwd: projectRoot, stdio: 'inherit', env });
  console.log(
    `== ${title}: ${result.status === 0 ? 'ok' : 'FAILED'} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  return result.status === 0;
}

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return testFiles(full);
    return name.endsWith('.test.ts') ? [path.relative(projectRoot, full)] : [];
  });
}

const only = process.argv.slice(2);
if (only.length === 0) {
  const staticChecks: [string, string, string[]][] = [
    ['typecheck', bin('tsc'), ['--noEmit']],
    ['eslint', bin('eslint'), ['.']],
    ['prettier', bin('prettier'), ['--check', '.']],
    ['ruff check', venvBin('ruff'), ['check', 'model-server', 'twin-bridge', 'learner', 'bench']],
    ['ruff format', venvBin('ruff'), ['format', '--check', 'model-server', 'twin-bridge', 'learner', 'bench']],
  ];
  for (const [title, command, args] of staticChecks) if (!step(title, command, args)) process.exit(1);
  if (!step('pytest (twin-bridge)', venvBin('python'), ['-m', 'pytest', '-q', 'twin-bridge/tests'])) process.exit(1);
  if (!step('pytest (learner)', venvBin('python'), ['-m', 'pytest', '-q', 'learner/tests'])) process.exit(1);
  if (!step('pytest (model-server)', venvBin('python'), ['-m', 'pytest', '-q', 'model-server/tests'])) process.exit(1);
}

// A port of its own, so tests never talk to a model server `npm start` left running.
const modelPort = Number(process.env.MAESTRO_TEST_MODEL_PORT ?? 18_000);
const model = startModelServer(modelPort);
try {
  await waitUntil('the model server', httpOk(`http://127.0.0.1:${modelPort}/v1/models`), 120_000, model);
  const files = only.length > 0 ? only : testFiles(path.join(projectRoot, 'tests'));
  const passed = step(
    'node --test',
    process.execPath,
    ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
    {
      ...process.env,
      MODEL_SERVER_PORT: String(modelPort),
      OPENAI_BASE_URL: `http://127.0.0.1:${modelPort}/v1`,
      MAESTRO_LLM_JSON_MODE: 'llama_cpp',
    },
  );
  process.exitCode = passed ? 0 : 1;
} catch (err) {
  console.error('[test]', err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  await stopService(model);
}
