import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { projectRoot } from '../../core/config.ts';
import { orchestrationSchema } from '../../core/twin/orchestration.ts';

type JsonSchema = {
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  required?: string[];
  additionalProperties?: boolean;
  properties?: Record<string, JsonSchema>;
};

const source = JSON.parse(
  readFileSync(path.join(projectRoot, 'twin-bridge/src/twin_bridge/orchestration.schema.json'), 'utf8'),
) as JsonSchema;
const fromZod = z.toJSONSchema(orchestrationSchema, { io: 'input' }) as JsonSchema;

/** What must agree: the allowed values (enum or type with bounds), the default, and which fields are required. */
function contract(s: JsonSchema): unknown {
  return {
    values: s.enum ? [...s.enum].sort() : { type: s.type, minimum: s.minimum, maximum: s.maximum },
    default: s.default,
  };
}

describe('orchestration schema: zod matches the JSON Schema source of truth', () => {
  for (const group of ['link', 'scenario'] as const) {
    it(`${group}: same fields, required set, and per-field values and defaults`, () => {
      const want = source.properties![group]!;
      const got = fromZod.properties![group]!;
      assert.deepEqual(Object.keys(got.properties!).sort(), Object.keys(want.properties!).sort());
      assert.deepEqual([...(got.required ?? [])].sort(), [...(want.required ?? [])].sort());
      assert.equal(got.additionalProperties, false);
      for (const [field, spec] of Object.entries(want.properties!)) {
        assert.deepEqual(contract(got.properties![field]!), contract(spec), `${group}.${field}`);
      }
    });
  }
  it('accepts a plan with defaults filled and rejects unknown fields', () => {
    const plan = orchestrationSchema.parse({ link: { mcs_index: 10, num_prbs: 51 }, scenario: { snr_db: 12 } });
    assert.equal(plan.link.subcarrier_spacing_khz, 30);
    assert.equal(plan.scenario.channel_model, 'awgn');
    assert.equal(
      orchestrationSchema.safeParse({ link: { mcs_index: 10, num_prbs: 51, turbo: true }, scenario: { snr_db: 1 } })
        .success,
      false,
    );
  });
});
