/**
 * A negotiation's state and records as zod schemas, each the source of its type: the workflow and
 * the activities use the types (type-only imports: no zod in the workflow bundle), the API
 * validates its responses and writes its OpenAPI document from the schemas.
 */
import { z } from 'zod';
import {
  cappedDemandSchema,
  negotiationRequestSchema,
  negotiationStatusSchema,
  networkStateSchema,
  optimizerModeSchema,
  type ArbitrationPolicy,
  type NegotiationRequest,
  type NegotiationStatus,
  type NetworkState,
  type Objective,
  type OptimizerMode,
  type Personality,
} from './schemas.ts';

export type {
  ArbitrationPolicy,
  NegotiationRequest,
  NegotiationStatus,
  NetworkState,
  Objective,
  OptimizerMode,
  Personality,
};

export type AgentRole = 'bo' | 'maestro';

const contextUnitSchema = z.enum(['arbitral', 'regulatory', 'observability']);

/** A problem a unit found and how it was handled; kept in the round record. */
export const unitWarningSchema = z.object({
  agent: z.string(),
  unit: z.enum(['extraction', 'optimizer', 'llm', 'validation', 'arbitral', 'regulatory', 'observability']),
  code: z.enum([
    'invalid_llm_output',
    'substituted_by_optimizer',
    'out_of_bounds',
    'far_from_optimizer',
    'hard_directive_enforced',
    'llm_unavailable',
    'regulatory_fact_missing',
    'regulatory_violation',
    'arbitral_flag',
    'judge_unavailable',
    'network_capacity',
  ]),
  message: z.string(),
});
export type UnitWarning = z.infer<typeof unitWarningSchema>;

/** What MAESTRO sends one BO for the next round: public demands plus that BO's own price. */
export const mediatorFeedbackSchema = z.object({
  round: z.number().int(),
  message: z
    .string()
    .describe("MAESTRO's sentence: no number in it but the proposal, the topic's bounds and round counts"),
  proposal: z.number().describe("MAESTRO's proposed consensus value for the next round (topic unit)"),
  optimizer: z
    .object({ proposal: z.number(), price: z.number(), penalty: z.number() })
    .describe("MAESTRO's optimizer output z*, λ_i and ρ of eq. (1): private to the receiving BO"),
});
export type MediatorFeedback = z.infer<typeof mediatorFeedbackSchema>;

export const citationSchema = z.object({
  claim: z.string(),
  source: z.string(),
  score: z.number().optional().describe('retrieval similarity of the passage, when it came from the index'),
});
export type Citation = z.infer<typeof citationSchema>;

export const arbitralFlagSchema = z.object({
  partyId: z.string(),
  score: z.number().min(0).max(1).describe('probability-like score that the reasoning is malicious'),
  reasons: z.array(z.string()),
  decidedBy: z.enum(['classifier', 'judge', 'classifier+judge']),
});
export type ArbitralFlag = z.infer<typeof arbitralFlagSchema>;

/** What a context unit (arbitral, regulatory, observability) adds to an agent's turn. */
export const contextContributionSchema = z.object({
  unit: contextUnitSchema,
  notes: z.array(z.string()).describe("short facts for the LLM's prompt"),
  bounds: z
    .object({ min: z.number().optional(), max: z.number().optional() })
    .optional()
    .describe("bounds the validation unit enforces (e.g. a regulatory maximum), in the topic's unit"),
  warnings: z.array(unitWarningSchema),
  citations: z.array(citationSchema).optional().describe('facts the unit relied on, with their passages'),
  flags: z.array(arbitralFlagSchema).optional().describe('parties whose reasoning was classified malicious'),
});
export type ContextContribution = z.infer<typeof contextContributionSchema>;

/** An incentive MAESTRO applied (paper Section III): warning, then penalty, then exclusion. */
export const incentiveSchema = z.object({
  partyId: z.string(),
  action: z.enum(['warning', 'penalty', 'exclusion']),
  offences: z.number().int().describe('offences of this party so far, this one included'),
  weightFactor: z.number().describe("the party's weight multiplier in MAESTRO's aggregation from now on"),
  reason: z.string(),
});
export type Incentive = z.infer<typeof incentiveSchema>;

/** What the arbitral unit and MAESTRO's incentives decided in one mediator turn. */
export const arbitrationOutcomeSchema = z.object({
  flags: z.array(arbitralFlagSchema),
  incentives: z.array(incentiveSchema),
  offences: z.record(z.string(), z.number().int()).describe('offence counts after this turn'),
  excluded: z.array(z.string()).describe('parties excluded after this turn'),
});
export type ArbitrationOutcome = z.infer<typeof arbitrationOutcomeSchema>;

export const llmCallSummarySchema = z.object({
  attempts: z.number().int(),
  latencyMs: z.number(),
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
  promptSha256: z.string().describe('sha256 of the final prompt (prompts stay out of history)'),
  model: z.string(),
});
export type LlmCallSummary = z.infer<typeof llmCallSummarySchema>;

const llmUnitSchema = llmCallSummarySchema.extend({ rawValue: z.number().nullable() }).nullable();

/** Result of one BO agent turn: each unit's output, readable in the Temporal UI. */
export const boTurnResultSchema = z.object({
  partyId: z.string(),
  round: z.number().int(),
  intent: z.object({ value: z.number(), reasoning: z.string() }),
  units: z.object({
    extraction: z.object({ feedbackProposal: z.number().nullable() }),
    context: z.array(contextContributionSchema),
    optimizer: z.object({ mode: optimizerModeSchema, proposal: z.number() }),
    llm: llmUnitSchema,
    validation: z.object({ accepted: z.boolean(), substituted: z.boolean(), warnings: z.array(unitWarningSchema) }),
  }),
});
export type BoTurnResult = z.infer<typeof boTurnResultSchema>;

export const roundDecisionSchema = z.enum(['consensus', 'continue', 'no_consensus', 'halted']);
export type RoundDecision = z.infer<typeof roundDecisionSchema>;

export const mediatorTurnResultSchema = z.object({
  round: z.number().int(),
  decision: roundDecisionSchema,
  spread: z.number(),
  consensusValue: z.number().nullable().describe('the consensus value when decision = consensus'),
  feedback: z.record(z.string(), mediatorFeedbackSchema).describe('per-party feedback when decision = continue'),
  arbitration: arbitrationOutcomeSchema.optional().describe('present when the arbitral unit ran in this turn'),
  units: z.object({
    extraction: z.object({ intents: z.number().int(), rejected: z.array(z.string()) }),
    context: z.array(contextContributionSchema),
    optimizer: z.object({
      mode: optimizerModeSchema,
      proposal: z.number(),
      closedForm: z.number(),
      iterations: z.number().int(),
      converged: z.boolean(),
    }),
    llm: llmUnitSchema,
    validation: z.object({ proposal: z.number(), substituted: z.boolean(), warnings: z.array(unitWarningSchema) }),
  }),
  message: z.string(),
});
export type MediatorTurnResult = z.infer<typeof mediatorTurnResultSchema>;

export const roundRecordSchema = z.object({
  round: z.number().int(),
  values: z.record(z.string(), z.number()).describe('each party’s service-intent value this round'),
  reasoning: z.record(z.string(), z.string()),
  decision: roundDecisionSchema,
  spread: z.number(),
  mediator: z.object({ proposal: z.number(), message: z.string(), optimizerProposal: z.number() }),
  warnings: z.array(unitWarningSchema),
  llm: z.object({ calls: z.number().int(), attempts: z.number().int(), latencyMs: z.number() }),
  targetChanges: z.array(z.object({ partyId: z.string(), target: z.number() })),
  bounds: z
    .object({ min: z.number(), max: z.number() })
    .optional()
    .describe('topic bounds this round ran under (narrower than the request’s when the network shrank)'),
  network: networkStateSchema.nullable().optional(),
  arbitration: z
    .object({ flags: z.array(arbitralFlagSchema), incentives: z.array(incentiveSchema) })
    .optional()
    .describe('what the arbitral unit flagged this round and the incentives MAESTRO applied'),
  grounding: z
    .array(z.object({ unit: contextUnitSchema, notes: z.array(z.string()), citations: z.array(citationSchema) }))
    .optional()
    .describe('regulatory constraints (with the passages they were read from) and network state behind MAESTRO’s turn'),
});
export type RoundRecord = z.infer<typeof roundRecordSchema>;

/** A change of the negotiation itself: bounds adapted to the network, a party withdrawn or excluded. */
export const adaptationSchema = z.object({
  round: z.number().int(),
  kind: z.enum(['bounds', 'withdrawal', 'exclusion']),
  message: z.string(),
});
export type Adaptation = z.infer<typeof adaptationSchema>;

export const negotiationStateSchema = z.object({
  id: z.string(),
  status: negotiationStatusSchema,
  currentRound: z.number().int(),
  request: negotiationRequestSchema,
  rounds: z.array(roundRecordSchema),
  consensus: z.object({ value: z.number(), round: z.number().int() }).nullable(),
  optimum: z
    .object({ value: z.number() })
    .describe('theoretical optimum Σ w_i t_i / Σ w_i for the parties’ current utilities, clipped to the topic range'),
  lastValues: z.record(z.string(), z.number()),
  reason: z.string().optional(),
  network: networkStateSchema
    .nullable()
    .optional()
    .describe('latest network state received (observability unit); null until a signal arrives'),
  activeParties: z.array(z.string()).optional().describe('parties still negotiating'),
  offences: z.record(z.string(), z.number().int()).optional(),
  adaptations: z.array(adaptationSchema).optional(),
  cappedDemands: z
    .array(cappedDemandSchema)
    .optional()
    .describe(
      'demands outside the topic’s range, negotiated at the nearest bound (the request holds the capped targets)',
    ),
});
export type NegotiationState = z.infer<typeof negotiationStateSchema>;
