/**
 * Replays the committed histories (tests/histories/: negotiations recorded by
 * `npm run histories:record`, the others by their tests with MAESTRO_RECORD_HISTORIES=1) against
 * the current workflow code: a non-deterministic change to a workflow fails here before it can
 * break a running one.
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

describe('replay of recorded workflow histories', () => {
  it('there are recorded histories to replay', () => {
    assert.ok(files.length >= 3, `found ${files.length} histories in ${dir}`);
  });
  for (const file of files) {
    it(`replays ${file} deterministically`, async () => {
      const history: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
      // Replayed under the id it was recorded with (the file's name): a workflow whose children's ids
      // derive from its own (the retraining pipeline's) only replays under that id.
      await Worker.runReplayHistory(
        { workflowBundle: await workflowBundle('all') },
        history,
        path.basename(file, '.json'),
      );
    });
  }
});
