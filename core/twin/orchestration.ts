/**
 * The 6G-LLM's orchestration and the twin's result, as zod schemas for the TypeScript side.
 * twin-bridge/src/twin_bridge/orchestration.schema.json is the source of truth;
 * tests/unit/orchestration-schema.test.ts checks these schemas against it field by field.
 */
import { z } from 'zod';

export const linkConfigSchema = z.strictObject({
  mcs_index: z.number().int().min(0).max(28),
  mcs_table: z.literal([1, 2]).default(1),
  num_prbs: z.number().int().min(1).max(275),
  subcarrier_spacing_khz: z.literal([15, 30, 60]).default(30),
  bandwidth_mhz: z.literal([5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100]).default(40),
  num_layers: z.number().int().min(1).max(4).default(1),
  num_tx_antennas: z.literal([1, 2, 4]).default(1),
  num_rx_antennas: z.literal([1, 2, 4, 8]).default(1),
  channel_estimator: z.enum(['perfect', 'ls']).default('ls'),
  detector: z.enum(['lmmse', 'zf', 'kbest']).default('lmmse'),
  ldpc_iterations: z.number().int().min(1).max(50).default(20),
  harq_enabled: z.boolean().default(false),
  harq_max_retransmissions: z.number().int().min(0).max(4).default(0),
});

export const scenarioConfigSchema = z.strictObject({
  channel_model: z.enum(['awgn', 'tdl-a', 'tdl-c', 'cdl-a', 'cdl-c']).default('awgn'),
  snr_db: z.number().min(-10).max(40),
  ue_speed_mps: z.number().min(0).max(140).default(0),
  carrier_frequency_ghz: z.number().min(0.41).max(7.125).default(3.5),
  delay_spread_ns: z.number().min(10).max(1000).default(100),
  ue_antennas: z.literal([1, 2, 4]).default(4),
  cell_antennas: z.literal([1, 2, 4, 8]).default(8),
  free_prbs: z.number().int().min(1).max(275).default(275),
  measured_csi: z.boolean().default(true),
  max_ldpc_iterations: z.number().int().min(1).max(50).default(50),
});

/** Field-level shape only: cross-field rules (PRBs per bandwidth, layers ≤ antennas) are the twin's, which answers InvalidOrchestration. */
export const orchestrationSchema = z.strictObject({ link: linkConfigSchema, scenario: scenarioConfigSchema });

export const twinResultSchema = z.object({
  fidelity: z.enum(['link', 'system']),
  ber: z.number().nullable(),
  bler: z.number().min(0).max(1),
  residual_bler: z.number().min(0).max(1),
  throughput_mbps: z.number().min(0),
  latency_ms: z.number().min(0),
  tbs_bits: z.number().int().min(0),
  slot_duration_ms: z.number(),
  code_rate: z.number(),
  modulation_order: z.number().int(),
  num_slots: z.number().int().min(0),
  elapsed_s: z.number(),
  cache_hit: z.boolean(),
});

export type Orchestration = z.input<typeof orchestrationSchema>;
export type TwinResult = z.infer<typeof twinResultSchema>;

/** Activity inputs and outputs of the Python worker on task queue `twin` (same names, same fields). */
export interface LinkLevelInput {
  orchestration: Orchestration;
  num_slots?: number;
  seed?: number;
}
export interface SystemLevelInput {
  orchestration: Orchestration;
}
export interface BatchInput {
  orchestrations: Orchestration[];
  fidelity?: 'link' | 'system';
  num_slots?: number;
  seed?: number;
}
export interface BatchOutput {
  items: { index: number; result: TwinResult | null; error: string | null }[];
  evaluated: number;
  cache_hits: number;
  invalid: number;
  elapsed_s: number;
}

/** The twin's activities, declared for proxyActivities in TypeScript workflows. */
export interface TwinActivities {
  evaluate_link_level(input: LinkLevelInput): Promise<TwinResult>;
  evaluate_system_level(input: SystemLevelInput): Promise<TwinResult>;
  evaluate_batch(input: BatchInput): Promise<BatchOutput>;
}

/** The error type the twin raises, non-retryable, for a plan it cannot execute. */
export const invalidOrchestrationErrorType = 'InvalidOrchestration';
