/** npm start's supervisor on real child processes: restart with backoff, give up, state for /healthz. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { supervisedProcesses } from '../../api/health.ts';
import { Supervisor } from '../../scripts/lib/supervisor.ts';
import { startService } from '../../scripts/services.ts';

const node = (name: string, script: string) => () => startService(name, process.execPath, ['-e', script]);
const stayUp = 'setInterval(() => {}, 1000)';

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

describe('process supervisor (scripts/lib/supervisor.ts)', () => {
  it('restarts a process that died, leaves the others alone, and reports it in the state file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'supervisor-'));
    const marker = path.join(dir, 'crashed-once');
    const stateFile = path.join(dir, 'state.json');
    const supervisor = new Supervisor({ stateFile, initialBackoffMs: 300, log: () => undefined });
    // dies the first time (leaving a marker), stays up after its restart
    const crashOnce = `const fs = require('fs'); if (!fs.existsSync(${JSON.stringify(marker)})) { fs.writeFileSync(${JSON.stringify(marker)}, ''); process.exit(2); } ${stayUp}`;
    const steady = supervisor.add('steady', node('steady', stayUp));
    supervisor.add('flaky', node('flaky', crashOnce));
    await until(() => supervisor.status().flaky?.state === 'restarting');
    assert.match(supervisedProcesses(stateFile)?.detail ?? '', /degraded: restarting flaky/);
    assert.equal(supervisedProcesses(stateFile)?.ok, false);
    await until(() => supervisor.status().flaky?.state === 'running' && supervisor.status().flaky?.restarts === 1);
    assert.deepEqual(supervisor.status().flaky?.lastExit?.code, 2);
    assert.equal(steady.child.exitCode, null, 'the other process was not touched');
    assert.equal(supervisor.current('steady'), steady);
    assert.match(supervisedProcesses(stateFile)?.detail ?? '', /2 processes running; restarted: flaky ×1/);
    await supervisor.stopAll();
    assert.equal(supervisor.status().flaky?.state, 'stopped');
    assert.notEqual(supervisor.current('flaky')?.child.exitCode ?? supervisor.current('flaky')?.child.signalCode, null);
    const written = JSON.parse(readFileSync(stateFile, 'utf8')) as { processes: Record<string, { state: string }> };
    assert.equal(written.processes.steady?.state, 'stopped');
  });

  it('gives up on a process that keeps dying, stops the rest, and says so', async () => {
    let gaveUp: string | null = null;
    const supervisor = new Supervisor({
      initialBackoffMs: 20,
      maxRestarts: 2,
      log: () => undefined,
      onGiveUp: (_name, message) => (gaveUp = message),
    });
    const steady = supervisor.add('steady', node('steady', stayUp));
    supervisor.add('doomed', node('doomed', 'process.exit(7)'));
    await until(() => gaveUp !== null);
    assert.match(gaveUp ?? '', /doomed exited 3 times within 300 s \(last with 7\); giving up/);
    assert.equal(supervisor.status().doomed?.restarts, 2);
    assert.ok(steady.child.exitCode !== null || steady.child.signalCode !== null, 'the rest is stopped');
  });

  it('a state file left by a supervisor that is gone, or unreadable, says nothing', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'supervisor-'));
    const stale = path.join(dir, 'state.json');
    // pid 2^22 + 1 is above Linux's pid_max default: no such process
    writeFileSync(stale, JSON.stringify({ pid: 4_194_305, processes: { api: { state: 'failed', restarts: 6 } } }));
    assert.ok(existsSync(stale));
    assert.equal(supervisedProcesses(stale), undefined);
    assert.equal(supervisedProcesses(undefined), undefined);
    writeFileSync(stale, '{ not json');
    assert.equal(supervisedProcesses(stale), undefined, 'a broken file does not break /healthz');
  });
});
