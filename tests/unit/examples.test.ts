/** The request bodies in examples/ (the README's curl lines send them) are what the API accepts. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { orchestrationRequestSchema } from '../../api/sixg/schemas.ts';
import { projectRoot } from '../../core/config.ts';
import { intentBodySchema } from '../../core/intents/schemas.ts';
import { negotiationRequestBodySchema } from '../../core/negotiation/schemas.ts';

const examples: [string, z.ZodType][] = [
  ['two-party.json', negotiationRequestBodySchema],
  ['cell-with-toxic-party.json', negotiationRequestBodySchema],
  ['sixg-orchestration.json', orchestrationRequestSchema],
  ['intent-basic.json', intentBodySchema],
  ['intent-premium.json', intentBodySchema],
];

describe('examples/', () => {
  for (const [file, schema] of examples) {
    it(`${file} is a valid request`, () => {
      const body: unknown = JSON.parse(readFileSync(path.join(projectRoot, 'examples', file), 'utf8'));
      const parsed = schema.safeParse(body);
      assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues));
    });
  }
});
