/**
 * Plain types of a negotiation's state and records: shared by workflows (which must not pull
 * zod or Node into their bundle), activities and the API.
 */
import type {
  ArbitrationPolicy,
  NegotiationRequest,
  NegotiationStatus,
  NetworkState,
  Objective,
  OptimizerMode,
  Personality,
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

/** A problem a unit found and how it was handled; kept in the round record. */
export interface UnitWarning {
  agent: string;
  unit: 'extraction' | 'optimizer' | 'llm' | 'validation' | 'arbitral' | 'regulatory' | 'observability';
  code:
    | 'invalid_llm_output'
    | 'substituted_by_optimizer'
    | 'out_of_bounds'
    | 'far_from_optimizer'
    | 'hard_directive_enforced'
    | 'llm_unavailable'
    | 'regulatory_fact_missing'
    | 'regulatory_violation'
    | 'arbitral_flag'
    | 'judge_unavailable'
    | 'network_capacity';
  message: string;
}

/** What MAESTRO sends one BO for the next round: public demands plus that BO's own price. */
export interface MediatorFeedback {
  round: number;
  message: string;
  /** MAESTRO's proposed consensus value for the next round (topic unit). */
  proposal: number;
  /** Every party's last public demand. */
  demands: Record<string, number>;
  /** MAESTRO's optimizer output z*, λ_i and ρ of eq. (1): private to the receiving BO; its optimizer's input. */
  optimizer: { proposal: number; price: number; penalty: number };
}

/** What a context unit (arbitral, regulatory, observability) adds to an agent's turn. */
export interface ContextContribution {
  unit: 'arbitral' | 'regulatory' | 'observability';
  /** Short facts for the LLM's prompt. */
  notes: string[];
  /** Bounds the validation unit enforces (e.g. a regulatory maximum), in the topic's unit. */
  bounds?: { min?: number; max?: number };
  warnings: UnitWarning[];
  /** Facts the unit relied on, each with the passage it came from (regulatory unit). */
  citations?: Citation[];
  /** Parties whose reasoning was classified malicious this turn (arbitral unit). */
  flags?: ArbitralFlag[];
}

export interface Citation {
  claim: string;
  source: string;
  /** Retrieval similarity of the passage, when it came from the index. */
  score?: number;
}

export interface ArbitralFlag {
  partyId: string;
  /** Probability-like score that the reasoning is malicious, in [0, 1]. */
  score: number;
  reasons: string[];
  decidedBy: 'classifier' | 'judge' | 'classifier+judge';
}

/** An incentive MAESTRO applied (paper Section III): warning, then penalty, then exclusion. */
export interface Incentive {
  partyId: string;
  action: 'warning' | 'penalty' | 'exclusion';
  /** Offences of this party so far in the negotiation, this one included. */
  offences: number;
  /** The party's weight multiplier in MAESTRO's aggregation from now on. */
  weightFactor: number;
  reason: string;
}

/** What the arbitral unit and MAESTRO's incentives decided in one mediator turn. */
export interface ArbitrationOutcome {
  flags: ArbitralFlag[];
  incentives: Incentive[];
  /** Offence counts after this turn. */
  offences: Record<string, number>;
  /** Parties excluded after this turn (they no longer count or take turns). */
  excluded: string[];
}

export interface LlmCallSummary {
  attempts: number;
  latencyMs: number;
  promptTokens: number;
  completionTokens: number;
  /** sha256 of the final prompt (prompts stay out of history; the hash ties logs to a turn). */
  promptSha256: string;
  model: string;
}

/** Result of one BO agent turn: each unit's output, readable in the Temporal UI. */
export interface BoTurnResult {
  partyId: string;
  round: number;
  intent: { value: number; reasoning: string };
  units: {
    extraction: { feedbackProposal: number | null; demandsSeen: number };
    context: ContextContribution[];
    optimizer: { mode: OptimizerMode; proposal: number };
    llm: (LlmCallSummary & { rawValue: number | null }) | null;
    validation: { accepted: boolean; substituted: boolean; warnings: UnitWarning[] };
  };
}

export type RoundDecision = 'consensus' | 'continue' | 'no_consensus' | 'halted';

export interface MediatorTurnResult {
  round: number;
  decision: RoundDecision;
  spread: number;
  /** The consensus value when decision = consensus. */
  consensusValue: number | null;
  /** Per-party feedback for the next round when decision = continue. */
  feedback: Record<string, MediatorFeedback>;
  /** Present when the arbitral unit ran in this turn. */
  arbitration?: ArbitrationOutcome;
  units: {
    extraction: { intents: number; rejected: string[] };
    context: ContextContribution[];
    optimizer: { mode: OptimizerMode; proposal: number; closedForm: number; iterations: number; converged: boolean };
    llm: (LlmCallSummary & { rawValue: number | null }) | null;
    validation: { proposal: number; substituted: boolean; warnings: UnitWarning[] };
  };
  message: string;
}

export interface RoundRecord {
  round: number;
  values: Record<string, number>;
  reasoning: Record<string, string>;
  decision: RoundDecision;
  spread: number;
  mediator: { proposal: number; message: string; optimizerProposal: number };
  warnings: UnitWarning[];
  llm: { calls: number; attempts: number; latencyMs: number };
  targetChanges: { partyId: string; target: number }[];
  /** The topic bounds this round ran under (narrower than the request's when the network shrank). */
  bounds?: { min: number; max: number };
  network?: NetworkState | null;
  arbitration?: { flags: ArbitralFlag[]; incentives: Incentive[] };
  /** What grounded MAESTRO's turn: regulatory constraints with citations, the network state. */
  grounding?: { unit: ContextContribution['unit']; notes: string[]; citations: Citation[] }[];
}

/** A change of the negotiation itself: bounds adapted to the network, a party withdrawn or excluded. */
export interface Adaptation {
  round: number;
  kind: 'bounds' | 'withdrawal' | 'exclusion';
  message: string;
}

export interface NegotiationState {
  id: string;
  status: NegotiationStatus;
  currentRound: number;
  request: NegotiationRequest;
  rounds: RoundRecord[];
  consensus: { value: number; round: number } | null;
  /** The theoretical optimum (closed form) for the parties' current utilities. */
  optimum: { value: number };
  lastValues: Record<string, number>;
  reason?: string;
  /** Latest network state received (observability unit); null until a signal arrives. */
  network?: NetworkState | null;
  /** Parties still negotiating (withdrawn and excluded ones are gone). */
  activeParties?: string[];
  offences?: Record<string, number>;
  adaptations?: Adaptation[];
}
