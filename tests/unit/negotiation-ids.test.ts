/** Every negotiation id the system makes is one the API's routes accept (issue: cell-session ids got 404). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { negotiationIdSchema } from '../../api/negotiations/schemas.ts';
import { cellSessionIdOf } from '../../workflows/cell-session/ids.ts';

describe('negotiation ids', () => {
  it('accepts the API’s ids and the ids a cell session gives its negotiations', () => {
    assert.ok(negotiationIdSchema.safeParse('negotiation-2f1c9a0e-demo').success);
    assert.ok(negotiationIdSchema.safeParse(`${cellSessionIdOf('cell-n78-a')}-n1`).success);
    assert.ok(negotiationIdSchema.safeParse(`${cellSessionIdOf('site.7_b')}-n123`).success);
  });

  it('refuses anything else', () => {
    for (const id of ['cell-session-cell-n78-a', 'cell-session--n1', 'negotiation-', 'twin-1', '../negotiation-1']) {
      assert.equal(negotiationIdSchema.safeParse(id).success, false, id);
    }
  });
});
