/**
 * Time-domain bookkeeping of an NR TDD carrier: how many slots a second holds at a numerology and
 * which part of a tdd-UL-DL-ConfigurationCommon pattern (TS 38.213 §11.1) carries downlink.
 */
import type { RanCell } from './contracts.ts';

/** OFDM symbols per slot with the normal cyclic prefix (TS 38.211 §4.3.2). */
export const symbolsPerSlot = 14;

/** μ of TS 38.211 §4.2: Δf = 2^μ · 15 kHz. */
export const numerologyOfScs = (subcarrierSpacingKHz: number): number => Math.log2(subcarrierSpacingKHz / 15);

/** Slots per second: 10 slots per 1 ms subframe … 2^μ slots per subframe (TS 38.211 Table 4.3.2-1). */
export const slotsPerSecond = (subcarrierSpacingKHz: number): number =>
  1000 * 2 ** numerologyOfScs(subcarrierSpacingKHz);

/** Fraction of a pattern's symbols that are downlink: full downlink slots plus the special slot's downlink part. */
export const downlinkSymbolShare = (tdd: RanCell['tdd']): number =>
  (tdd.downlinkSlots * symbolsPerSlot + tdd.specialSlotDownlinkSymbols) / (tdd.periodSlots * symbolsPerSlot);
