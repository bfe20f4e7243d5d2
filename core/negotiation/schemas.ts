/**
 * The negotiation's data at every boundary (HTTP API, workflow input, LLM answers), as zod
 * schemas. Types are inferred from them so validation and types cannot drift apart.
 */
import { z } from 'zod';

export const personalities = ['normal', 'agreeable', 'disagreeable', 'vulnerable', 'toxic'] as const;
export const objectives = ['cost', 'qos'] as const;
export const optimizerModes = ['off', 'soft', 'hard'] as const;
export const negotiationStatuses = ['running', 'consensus', 'no_consensus', 'halted', 'cancelled', 'failed'] as const;

export const personalitySchema = z.enum(personalities);
/** The paper's one-letter names of the personalities (Fig. 3a's pairs, e.g. V-T). */
export const personalityLetters = {
  N: 'normal',
  A: 'agreeable',
  D: 'disagreeable',
  V: 'vulnerable',
  T: 'toxic',
} as const satisfies Record<string, (typeof personalities)[number]>;
export const objectiveSchema = z.enum(objectives);
export const optimizerModeSchema = z.enum(optimizerModes);
export const negotiationStatusSchema = z.enum(negotiationStatuses);

export const partyIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/,
    'a party id is 1-40 letters, digits, _ or -, starting with a letter or digit',
  );

/**
 * Every quantity a negotiation takes is a physical one (a throughput, a share, a price): bounded
 * so that no sum or difference the optimizer forms can overflow (±1.7e308 is finite, its range
 * is not) and no bandwidth or tolerance is a denormal.
 */
export const maxMagnitude = 1e9;
const quantity = z.number().finite().min(-maxMagnitude).max(maxMagnitude);

export const modulations = ['QPSK', '16QAM', '64QAM', '256QAM', '1024QAM'] as const;

/**
 * The radio cell a throughput topic is about. With it, the regulatory unit derives the cell's
 * maximum data rate from the corpus (TS 38.101-1 N_RB, TS 38.306 §4.1.2) and caps the topic.
 */
export const cellConfigSchema = z.strictObject({
  band: z.string().regex(/^n\d{1,3}$/, 'an NR band such as n78'),
  /** TS 38.101-1/-2: NR channels are 5 to 400 MHz wide. */
  channelBandwidthMHz: z.number().min(5).max(400),
  subcarrierSpacingKHz: z.union([z.literal(15), z.literal(30), z.literal(60), z.literal(120)]),
  mimoLayers: z.number().int().min(1).max(8).default(1),
  modulation: z.enum(modulations).default('256QAM'),
  /** TS 38.306 scaling factor f. */
  scalingFactor: z.union([z.literal(1), z.literal(0.8), z.literal(0.75), z.literal(0.4)]).default(1),
  direction: z.enum(['DL', 'UL']).default('DL'),
  /** Share of the time the direction may transmit (TDD pattern; 1 for FDD), e.g. 0.743 for DDDSU 10:2:2. */
  directionFraction: z.number().gt(0).max(1).default(1),
});

export const topicSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(120),
    unit: z.string().trim().min(1).max(20),
    min: quantity,
    max: quantity,
    cell: cellConfigSchema.optional(),
  })
  .refine((t) => t.min < t.max, { message: 'topic.min must be below topic.max', path: ['max'] });

export const partySchema = z.strictObject({
  id: partyIdSchema,
  objective: objectiveSchema,
  target: quantity,
  weight: z.number().finite().min(1e-3).max(1000).default(1),
  personality: personalitySchema.default('normal'),
  /** The party's business intent in its own words (optional; goes into its own prompt only). */
  businessIntent: z.string().trim().max(400).optional(),
});

/**
 * MAESTRO's incentives against malicious agents (paper Section III, arbitral unit): the first
 * offence earns a warning, later ones a lower weight, and `exclusionOffences` exclusion. The
 * defaults mirror rules SH-5 and SH-6 of regulatory-corpus/slice-sharing-rules.md.
 */
export const arbitrationPolicySchema = z.strictObject({
  enabled: z.boolean().default(true),
  penaltyWeightFactor: z.number().gt(0).lt(1).default(0.5),
  exclusionOffences: z.number().int().min(2).max(20).default(3),
});

const negotiationRequestObject = z.strictObject({
  topic: topicSchema,
  parties: z.array(partySchema).min(2).max(20),
  maxRounds: z.number().int().min(1).max(20).default(5),
  /** ε: consensus when max(values) − min(values) ≤ tolerance, in the topic's unit. */
  tolerance: z.number().finite().min(1e-6).max(maxMagnitude).default(1),
  optimizerMode: optimizerModeSchema.default('soft'),
  cellId: z.string().trim().min(1).max(64).optional(),
  arbitration: arbitrationPolicySchema.optional(),
});

type RequestShape = z.infer<typeof negotiationRequestObject>;

/** Rules of every request: party ids unique, the tolerance below the topic's range. */
function checkRequest(req: RequestShape, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  req.parties.forEach((p, i) => {
    if (seen.has(p.id))
      ctx.addIssue({ code: 'custom', message: `duplicate party id ${p.id}`, path: ['parties', i, 'id'] });
    seen.add(p.id);
  });
  if (req.tolerance >= req.topic.max - req.topic.min) {
    ctx.addIssue({ code: 'custom', message: 'tolerance must be smaller than the topic range', path: ['tolerance'] });
  }
}

/**
 * What a client may ask (`POST /v1/negotiations`): a party's target may lie outside the topic's
 * range — a business intent (90 Mbps of a cell that carries 40) is not a malformed request.
 * `capDemands` turns it into a `negotiationRequestSchema` request, saying which demands it capped.
 */
export const negotiationRequestBodySchema = negotiationRequestObject.superRefine(checkRequest);

/** A negotiation as the workflow runs it: every target within the topic's range. */
export const negotiationRequestSchema = negotiationRequestObject.superRefine((req, ctx) => {
  checkRequest(req, ctx);
  req.parties.forEach((p, i) => {
    if (p.target < req.topic.min || p.target > req.topic.max) {
      ctx.addIssue({
        code: 'custom',
        message: `target ${p.target} lies outside the topic's range [${req.topic.min}, ${req.topic.max}]`,
        path: ['parties', i, 'target'],
      });
    }
  });
});

/** A demand the topic's range could not hold: negotiated at the nearest bound instead. */
export const cappedDemandSchema = z.object({
  partyId: z.string(),
  requestedTarget: z.number(),
  negotiatedTarget: z.number(),
});
export type CappedDemand = z.infer<typeof cappedDemandSchema>;

/** One party's demand clamped into the topic's range, and the record of it when it had to be. */
export function capDemand(
  partyId: string,
  requestedTarget: number,
  range: { min: number; max: number },
): { target: number; capped?: CappedDemand } {
  const target = Math.min(Math.max(requestedTarget, range.min), range.max);
  return target === requestedTarget
    ? { target }
    : { target, capped: { partyId, requestedTarget, negotiatedTarget: target } };
}

/** Clamps each target into the topic's range; the parties' other fields are untouched. */
export function capDemands(body: z.infer<typeof negotiationRequestBodySchema>): {
  request: z.infer<typeof negotiationRequestSchema>;
  cappedDemands: CappedDemand[];
} {
  const cappedDemands: CappedDemand[] = [];
  const parties = body.parties.map((p) => {
    const { target, capped } = capDemand(p.id, p.target, body.topic);
    if (capped) cappedDemands.push(capped);
    return { ...p, target };
  });
  return { request: { ...body, parties }, cappedDemands };
}

export type Personality = z.infer<typeof personalitySchema>;
export type Objective = z.infer<typeof objectiveSchema>;
export type OptimizerMode = z.infer<typeof optimizerModeSchema>;
export type NegotiationStatus = z.infer<typeof negotiationStatusSchema>;
export type Topic = z.infer<typeof topicSchema>;
export type Party = z.infer<typeof partySchema>;
export type CellConfig = z.infer<typeof cellConfigSchema>;
export type ArbitrationPolicy = z.infer<typeof arbitrationPolicySchema>;
export type NegotiationRequest = z.infer<typeof negotiationRequestSchema>;
export type NegotiationRequestBody = z.infer<typeof negotiationRequestBodySchema>;

/** The service intent every agent answers with (paper Section III): a value and its reasoning. */
export const serviceIntentSchema = z.strictObject({
  value: z.number().finite(),
  reasoning: z.string().trim().min(1).max(600),
});
export type ServiceIntent = z.infer<typeof serviceIntentSchema>;

/**
 * The JSON Schema the model's decoding is constrained to (a looser twin of the zod schema). The
 * reasoning comes first: a model writes its sentence ("I hold…", "I accept MAESTRO's 54.") and then
 * the number that sentence decided. Value first, the trained negotiator chose the number before
 * saying why and often wrote its ideal value beside "I accept MAESTRO's …" (docs/NEGOTIATOR.md,
 * session 18). llama.cpp's grammar keeps the properties in this order.
 */
export const serviceIntentJsonSchema = {
  type: 'object',
  properties: {
    reasoning: { type: 'string', maxLength: 240 },
    value: { type: 'number' },
  },
  required: ['reasoning', 'value'],
  additionalProperties: false,
} as const;

export const changeTargetSchema = z.strictObject({ target: quantity });

/** The network's state as the observability unit sees it (telemetry from the cell session or an operator). */
export const networkStateSchema = z.strictObject({
  /** Wideband CQI (TS 38.214 Table 5.2.2.1-2/3 index), when known. */
  cqi: z.number().int().min(0).max(15).optional(),
  /** Throughput the cell can deliver now, in the topic's unit. */
  capacityMbps: z.number().finite().min(0).max(maxMagnitude),
  /** PRB utilisation in percent. */
  loadPercent: z.number().min(0).max(100).optional(),
  /** Where the figure comes from, e.g. "emulated-ran" or "operator". */
  source: z.string().trim().min(1).max(60).default('operator'),
});
export type NetworkState = z.infer<typeof networkStateSchema>;

export const withdrawalSchema = z.strictObject({
  reason: z.string().trim().min(1).max(200).default('withdrawn by the BO'),
});

/**
 * What a BO's prompt shows beyond the paper's: `plain` as the rule's and the persona's students were
 * trained on; `ladder` adds the BO's own weight, in words, and (optimizer off) the concession ladder
 * from its ideal value to MAESTRO's proposal, so that a 135M model can hold in proportion to how much
 * the topic matters to it by choosing a line instead of computing a number (docs/NEGOTIATOR.md,
 * "The weighted negotiator"); `ladder-split` names the weight in four bands, "moderately" split into "somewhat" and
 * "quite a lot", the words the split teacher moves by (docs/NEGOTIATOR.md, "The split band in words").
 */
export const boPromptStyles = ['plain', 'ladder', 'ladder-split'] as const;
export type BoPromptStyle = (typeof boPromptStyles)[number];

/**
 * What MAESTRO's prompt shows with the optimizer off, beside the demands: `mean`, the demands' mean (every negotiator
 * since session 15); `moves`, after it, where the parties' moves point (core/negotiation/moves.ts `movesPointTo`), the
 * demands before the round counted by how firmly each party held (the split negotiator's default since session 33;
 * docs/NEGOTIATOR.md, "The mediator's lever").
 */
export const mediatorPromptStyles = ['mean', 'moves'] as const;
export type MediatorPromptStyle = (typeof mediatorPromptStyles)[number];
