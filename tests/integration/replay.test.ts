/**
 * Replays the committed negotiation histories (tests/histories/, recorded by
 * `npm run histories:record`) against the current workflow code: a non-deterministic change to
 * the workflow fails here before it can break a running negotiation.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { projectRoot } from '../../core/config.ts';
import { workflowBundle } from '../helpers/stack.ts';

const dir = path.join(projectRoot, 'tests', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replay of recorded negotiation histories', () => {
  it('there are recorded histories to replay', () => {
    assert.ok(files.length >= 3, `found ${files.length} histories in ${dir}`);
  });
  for (const file of files) {
    it(`replays ${file} deterministically`, async () => {
      const history: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `replay-${file}`);
    });
  }
});
