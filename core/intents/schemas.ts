/**
 * A BO's business intent in the words of 3GPP TS 28.312 (Intent, IntentExpectation,
 * ExpectationObject, ExpectationTarget, Context), served TMF921-style (create, read, patch,
 * delete, reports). maestro handles one kind: a throughput expectation on a shared NR cell
 * (expectationObject RAN_SubNetwork, objectInstance = the cell). The target's condition says
 * which way the BO pulls: "at least X" is a quality objective, "at most X" a cost objective.
 */
import { z } from 'zod';
import { personalitySchema, type Objective, type Personality } from '../negotiation/schemas.ts';

export const cellIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ - (1–64)');

export const conditionSchema = z.enum([
  'IS_EQUAL_TO',
  'IS_LESS_THAN',
  'IS_GREATER_THAN',
  'IS_WITHIN_RANGE',
  'IS_OUTSIDE_RANGE',
  'IS_ONE_OF',
  'IS_NOT_ONE_OF',
  'IS_EQUAL_TO_OR_LESS_THAN',
  'IS_EQUAL_TO_OR_GREATER_THAN',
  'IS_ALL_OF',
]);

/** TS 28.312 Context (generic): attribute, condition, value(s). Kept as given; informational. */
export const contextSchema = z.strictObject({
  contextAttribute: z.string().trim().min(1).max(80),
  contextCondition: conditionSchema,
  contextValueRange: z.union([
    z.number(),
    z.string().max(200),
    z.boolean(),
    z.array(z.union([z.number(), z.string().max(200)])).max(20),
  ]),
});

/**
 * Throughput targets maestro negotiates. DLThptPerUE and AveDLRANUEThpt are TS 28.312's names;
 * values are in Mbps (stated in `targetUnit`, so a reader never has to guess kbps or Mbps).
 */
export const throughputTargetNames = ['DLThptPerUE', 'AveDLRANUEThpt'] as const;
const negotiableConditions = [
  'IS_GREATER_THAN',
  'IS_EQUAL_TO_OR_GREATER_THAN',
  'IS_LESS_THAN',
  'IS_EQUAL_TO_OR_LESS_THAN',
  'IS_EQUAL_TO',
] as const;

export const expectationTargetSchema = z.strictObject({
  targetName: z.enum(throughputTargetNames),
  targetCondition: z.enum(negotiableConditions),
  targetValueRange: z.number().finite().min(0).max(10_000),
  targetUnit: z.literal('Mbps').default('Mbps'),
  targetContexts: z.array(contextSchema).max(10).default([]),
});

export const intentExpectationSchema = z.strictObject({
  expectationId: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/, 'letters, digits, . _ - (1–40)'),
  expectationVerb: z.enum(['DELIVER', 'ENSURE']).default('DELIVER'),
  expectationObject: z.strictObject({
    objectType: z.literal('RAN_SubNetwork'),
    /** The shared cell (DN in 28.312; maestro's cell id here). */
    objectInstance: cellIdSchema,
    objectContexts: z.array(contextSchema).max(10).default([]),
  }),
  expectationTargets: z.array(expectationTargetSchema).length(1, 'one throughput target per expectation'),
  expectationContexts: z.array(contextSchema).max(10).default([]),
});

/** How the BO's negotiating agent behaves: maestro's extension, outside 28.312. */
export const agentProfileSchema = z.strictObject({
  personality: personalitySchema.default('normal'),
  /** Below this delivered throughput the BO considers the service useless (it votes to switch the cell off). */
  switchOffBelowMbps: z.number().finite().min(0).max(10_000).default(0),
});

export const intentBodySchema = z.strictObject({
  userLabel: z.string().trim().min(1).max(120),
  /** The business intent in the BO's words; goes into its own agent's prompt only. */
  description: z.string().trim().max(400).optional(),
  intentExpectations: z.array(intentExpectationSchema).length(1, 'one expectation: the throughput on one cell'),
  intentContexts: z.array(contextSchema).max(10).default([]),
  intentPriority: z.number().int().min(1).max(100).default(50),
  intentAdminState: z.enum(['ACTIVATED', 'DEACTIVATED']).default('ACTIVATED'),
  /** Seconds of telemetry the fulfilment report averages over (28.312 observationPeriod). */
  observationPeriod: z.number().int().min(1).max(3600).default(10),
  agent: agentProfileSchema.default({ personality: 'normal', switchOffBelowMbps: 0 }),
});
export type IntentBody = z.infer<typeof intentBodySchema>;
export type IntentBodyInput = z.input<typeof intentBodySchema>;

/** The stored intent: the body plus what the system owns (id, owner, versions, times). */
export const intentRecordSchema = z.strictObject({
  id: z.string(),
  tenantId: z.string(),
  cellId: cellIdSchema,
  version: z.number().int().min(1),
  creationDate: z.string(),
  lastUpdate: z.string(),
  body: intentBodySchema,
});
export type IntentRecord = z.infer<typeof intentRecordSchema>;

/** What a BO's intent means for a negotiation on its cell. */
export interface NegotiationProfile {
  tenantId: string;
  objective: Objective;
  targetMbps: number;
  personality: Personality;
  switchOffBelowMbps: number;
  businessIntent?: string;
}

export function negotiationProfile(record: IntentRecord): NegotiationProfile {
  const target = record.body.intentExpectations[0]!.expectationTargets[0]!;
  const atMost = target.targetCondition === 'IS_LESS_THAN' || target.targetCondition === 'IS_EQUAL_TO_OR_LESS_THAN';
  return {
    tenantId: record.tenantId,
    objective: atMost ? 'cost' : 'qos',
    targetMbps: target.targetValueRange,
    personality: record.body.agent.personality,
    switchOffBelowMbps: record.body.agent.switchOffBelowMbps,
    ...(record.body.description ? { businessIntent: record.body.description } : {}),
  };
}

export const cellOfBody = (body: IntentBody): string => body.intentExpectations[0]!.expectationObject.objectInstance;

/**
 * RFC 7386 JSON merge patch: objects merge key by key, null deletes, everything else replaces.
 * The result is validated again as a whole, so a patch can never leave an invalid intent.
 */
/** Deepest nesting a merge patch may have: an intent body is a few levels deep; 32 is generous. */
export const MAX_PATCH_DEPTH = 32;

/** How deep `value` nests objects and arrays, counted without recursion (a 5,000-deep body must not overflow). */
export function nestingDepth(value: unknown, stopAt = MAX_PATCH_DEPTH + 1): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest >= stopAt) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}
