/**
 * The network plane's contracts, shared by the slice operator (core/network), the emulated RAN
 * (ran-emulator/), the cell-session workflow and its activities. Everything crossing a process
 * boundary (HTTP to the emulated RAN, Temporal signals and activity results) is one of these
 * zod schemas, so both sides validate the same shape.
 */
import { z } from 'zod';

/** The radio cell the slice operator plans for. Defaults: the MAESTRO testbed's n78 cell. */
export const ranCellSchema = z.strictObject({
  cellId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ - (1–64)'),
  band: z
    .string()
    .regex(/^n\d{1,3}$/, 'an NR band such as n78')
    .default('n78'),
  channelBandwidthMHz: z.number().positive().max(400).default(40),
  subcarrierSpacingKHz: z.union([z.literal(15), z.literal(30), z.literal(60), z.literal(120)]).default(30),
  /** N_RB of TS 38.101-1 Table 5.3.2-1 for the bandwidth and SCS (106 for 40 MHz at 30 kHz). */
  prbs: z.number().int().min(1).max(275).default(106),
  mimoLayers: z.number().int().min(1).max(8).default(1),
  /** 1: CQI Table 5.2.2.1-2 with MCS Table 5.1.3.1-1 (64QAM); 2: Tables 5.2.2.1-3 and 5.1.3.1-2 (256QAM). */
  cqiTable: z.union([z.literal(1), z.literal(2)]).default(1),
  /**
   * TDD pattern (TS 38.213 §11.1 tdd-UL-DL-ConfigurationCommon), one period. Default: 5 ms
   * DDDDDDDSUU, OAI's n78 period and slot split, with a special slot of 12 downlink symbols
   * (12:2 downlink:guard+uplink) instead of OAI's 6, so the downlink holds 110 of 140 symbols
   * (11/14) and the TS 38.306 §4.1.2 rate is the paper's 134 Mbps (docs/NETWORK-PLANE.md).
   */
  tdd: z
    .strictObject({
      periodSlots: z.number().int().min(1).max(80),
      downlinkSlots: z.number().int().min(0).max(80),
      /** Downlink symbols at the start of the slot after the last full downlink slot. */
      specialSlotDownlinkSymbols: z.number().int().min(0).max(13),
      uplinkSlots: z.number().int().min(0).max(80),
    })
    .refine((t) => t.downlinkSlots + t.uplinkSlots + (t.specialSlotDownlinkSymbols > 0 ? 1 : 0) <= t.periodSlots, {
      message: 'downlink + special + uplink slots exceed the period',
    })
    .default({ periodSlots: 10, downlinkSlots: 7, specialSlotDownlinkSymbols: 12, uplinkSlots: 2 }),
  /** OFDM symbols of each downlink slot taken by the PDCCH CORESET (no PDSCH there). */
  pdcchSymbols: z.number().int().min(0).max(3).default(1),
  /** N_DMRS^PRB of TS 38.214 §5.1.3.2: REs per PRB of the scheduled duration taken by DMRS. */
  dmrsResPerPrb: z.number().int().min(0).max(48).default(12),
  /** N_oh^PRB (xOverhead of PDSCH-ServingCellConfig): 0, 6, 12 or 18. */
  overheadResPerPrb: z.union([z.literal(0), z.literal(6), z.literal(12), z.literal(18)]).default(0),
});
export type RanCell = z.infer<typeof ranCellSchema>;
export type RanCellInput = z.input<typeof ranCellSchema>;

/** A BO's slice on the cell: S-NSSAI (TS 23.003 §28.4.2) and the throughput it is to get. */
export const sliceDemandSchema = z.strictObject({
  sliceId: z.string().min(1).max(64),
  sst: z.number().int().min(0).max(255).default(1),
  sd: z
    .string()
    .regex(/^[0-9A-Fa-f]{6}$/)
    .optional(),
  throughputMbps: z.number().min(0).max(10_000),
});
export type SliceDemand = z.infer<typeof sliceDemandSchema>;

/** The slice operator's output for one cell: what the RAN must enforce. */
export const networkIntentSchema = z.strictObject({
  cellId: z.string(),
  /** The CQI the plan was made for (wideband, 0–15). */
  cqi: z.number().int().min(0).max(15),
  mcsIndex: z.number().int().min(0).max(31).nullable(),
  /** The MCS ceiling the twin check set for the channel (twin-check.ts); the RAN schedules no MCS above it. Absent: none. */
  maxMcsIndex: z.number().int().min(0).max(31).optional(),
  capacityMbps: z.number().min(0),
  /** false when the demands need more PRBs than the cell has: then every slice is scaled down. */
  fits: z.boolean(),
  prbsUsed: z.number().int().min(0),
  slices: z.array(
    z.strictObject({
      sliceId: z.string(),
      sst: z.number().int(),
      sd: z.string().optional(),
      requestedMbps: z.number().min(0),
      prbs: z.number().int().min(0),
      expectedMbps: z.number().min(0),
      /** TS 28.541 RRMPolicyRatio, in percent of the cell's PRBs. */
      rrmPolicyRatio: z.strictObject({
        rRMPolicyDedicatedRatio: z.number().int().min(0).max(100),
        rRMPolicyMinRatio: z.number().int().min(0).max(100),
        rRMPolicyMaxRatio: z.number().int().min(0).max(100),
      }),
    }),
  ),
});
export type NetworkIntent = z.infer<typeof networkIntentSchema>;

/** One telemetry report of the emulated RAN for one cell (one per emulated second by default). */
export const telemetryReportSchema = z.strictObject({
  cellId: z.string(),
  /** Emulated time since the start of the replay, in seconds. */
  tS: z.number().min(0),
  cqi: z.number().int().min(0).max(15),
  /** What the whole cell could deliver now at this CQI with every PRB. */
  capacityMbps: z.number().min(0),
  powered: z.boolean(),
  deliveredMbps: z.number().min(0),
  slices: z.array(
    z.strictObject({ sliceId: z.string(), prbs: z.number().int().min(0), deliveredMbps: z.number().min(0) }),
  ),
});
export type TelemetryReport = z.infer<typeof telemetryReportSchema>;

/** One BO's switch-off vote in a cell session (the `voteOnSwitchOff` activity's answer). */
export const switchOffVoteSchema = z.strictObject({
  tenantId: z.string(),
  vote: z.enum(['switch_off', 'keep_on']),
  reasoning: z.string(),
  /** The BO's model, or the rule when the model gave no usable answer. */
  decidedBy: z.enum(['llm', 'rule']),
});
export type SwitchOffVote = z.infer<typeof switchOffVoteSchema>;
