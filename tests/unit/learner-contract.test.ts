/**
 * The TypeScript side of the learner's activities (core/training/contracts.ts) against the
 * learner's own export of its pydantic models (learner/src/sixg_learner/activities.schema.json,
 * kept current by learner/tests/test_contract.py): what the workflows send, the learner accepts;
 * what the learner answers, the workflows read.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { projectRoot } from '../../core/config.ts';
import * as contracts from '../../core/training/contracts.ts';

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
};

const exported = JSON.parse(
  readFileSync(path.join(projectRoot, 'learner/src/sixg_learner/activities.schema.json'), 'utf8'),
) as { activities: Record<string, { input: JsonSchema; output: JsonSchema }>; models: Record<string, JsonSchema> };

/** A schema's JSON types and, for objects, its fields: `$ref`s resolved, `anyOf` merged. */
interface Shape {
  types: Set<string>;
  properties?: Record<string, Shape>;
  required: Set<string>;
  closed: boolean;
}

function shapeOf(schema: JsonSchema, root: JsonSchema): Shape {
  if (schema.$ref) return shapeOf(root.$defs![schema.$ref.replace('#/$defs/', '')]!, root);
  if (schema.anyOf) {
    const parts = schema.anyOf.map((s) => shapeOf(s, root));
    const objects = parts.filter((p) => p.properties);
    return {
      types: new Set(parts.flatMap((p) => [...p.types])),
      ...(objects[0]?.properties ? { properties: objects[0].properties } : {}),
      required: objects[0]?.required ?? new Set(),
      closed: objects[0]?.closed ?? false,
    };
  }
  const declared = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const values = schema.const !== undefined ? [schema.const] : (schema.enum ?? []);
  const fromValues = values.map((v) => (v === null ? 'null' : Number.isInteger(v) ? 'integer' : typeof v));
  // zod writes a literal 1 | 2 | 4 as type number with an enum; pydantic as type integer
  const integral = values.length > 0 && values.every((v) => Number.isInteger(v));
  const types = new Set(
    (declared.length > 0 ? declared : fromValues).map((t) => (t === 'number' && integral ? 'integer' : t)),
  );
  return {
    types,
    ...(schema.properties
      ? { properties: Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, shapeOf(v, root)])) }
      : {}),
    required: new Set(schema.required ?? []),
    closed: schema.additionalProperties === false,
  };
}

/** `narrow`'s values are all values of `wide` (an integer is a number; a field-less object takes any object). */
function typesFit(narrow: Set<string>, wide: Set<string>): boolean {
  return [...narrow].every((t) => wide.has(t) || (t === 'integer' && wide.has('number')));
}

/** Problems of a payload the `sender` shapes and the `receiver` parses, field by field. */
function mismatches(sender: Shape, receiver: Shape, where: string, direction: 'to python' | 'to typescript'): string[] {
  const problems: string[] = [];
  if (!typesFit(sender.types, receiver.types) && receiver.types.size > 0) {
    problems.push(`${where}: sends ${[...sender.types].join('|')}, parsed as ${[...receiver.types].join('|')}`);
  }
  if (!sender.properties || !receiver.properties) return problems;
  for (const field of Object.keys(sender.properties)) {
    if (!(field in receiver.properties) && receiver.closed) problems.push(`${where}.${field}: not a field there`);
  }
  if (direction === 'to python') {
    for (const field of receiver.required) {
      if (!sender.required.has(field)) problems.push(`${where}.${field}: required by the learner, optional here`);
    }
  } else {
    for (const field of receiver.required) {
      if (!(field in sender.properties)) problems.push(`${where}.${field}: read here, never sent by the learner`);
    }
  }
  for (const [field, s] of Object.entries(sender.properties)) {
    const r = receiver.properties[field];
    if (r) problems.push(...mismatches(s, r, `${where}.${field}`, direction));
  }
  return problems;
}

const ts = (schema: z.ZodType, io: 'input' | 'output'): Shape => {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return shapeOf(json, json);
};
const py = (schema: JsonSchema): Shape => shapeOf(schema, schema);

const pairs: Record<string, [z.ZodType, z.ZodType]> = {
  domain_finetune: [contracts.domainFinetuneInputSchema, contracts.domainFinetuneResultSchema],
  twin_search_distill: [contracts.distillInputSchema, contracts.distillResultSchema],
  rejection_sampling_round: [contracts.rejectionSamplingRoundInputSchema, contracts.rejectionSamplingRoundResultSchema],
  ppo_step: [contracts.ppoStepInputSchema, contracts.ppoStepResultSchema],
  evaluate_model: [contracts.evaluationInputSchema, contracts.evaluationResultSchema],
  promote_if_better: [contracts.promotionInputSchema, contracts.promotionResultSchema],
  orchestrate_task: [contracts.orchestrateTaskInputSchema, contracts.orchestrateTaskResultSchema],
};

describe("the learner's activities: TypeScript against the learner's JSON Schema export", () => {
  it('covers exactly the activities the learner exports', () => {
    assert.deepEqual(Object.keys(pairs).sort(), Object.keys(exported.activities).sort());
  });
  for (const [name, [input, output]] of Object.entries(pairs)) {
    it(`${name}: the learner parses what the workflow sends and answers what it reads`, () => {
      const { input: pyIn, output: pyOut } = exported.activities[name]!;
      assert.deepEqual(mismatches(ts(input, 'output'), py(pyIn), `${name} input`, 'to python'), []);
      assert.deepEqual(mismatches(py(pyOut), ts(output, 'input'), `${name} output`, 'to typescript'), []);
    });
  }
  it("an orchestration request's task and QoS are the learner's Task and Qos", () => {
    assert.deepEqual(
      mismatches(ts(contracts.sixgTaskSchema, 'output'), py(exported.models.Task!), 'task', 'to python'),
      [],
    );
    assert.deepEqual(
      mismatches(ts(contracts.sixgQosSchema, 'output'), py(exported.models.Qos!), 'qos', 'to python'),
      [],
    );
  });
  it('finds a drifted field: a renamed, a retyped and a dropped one', () => {
    const drifted = contracts.ppoStepInputSchema.omit({ ref_refresh_steps: true }).extend({
      step: z.string(),
      refresh: z.number(),
    });
    const problems = mismatches(ts(drifted, 'output'), py(exported.activities.ppo_step!.input), 'ppo', 'to python');
    assert.ok(
      problems.some((p) => p.includes('ppo.refresh: not a field there')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.includes('ppo.step: sends string')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.includes('ppo.ref_refresh_steps: required by the learner')),
      problems.join('\n'),
    );
  });
});
