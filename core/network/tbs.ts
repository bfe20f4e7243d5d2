/**
 * Transport block size of one PDSCH transmission, TS 38.214 §5.1.3.2 (the markdown lost its
 * equations; the steps are restated in STACK-NOTES and followed here one by one).
 */
import { tbsTable } from './nr-tables.ts';

export interface TbsInput {
  /** n_PRB: PRBs allocated to the UE. */
  prbs: number;
  /** N_symb^sh: OFDM symbols of the PDSCH allocation within the slot. */
  pdschSymbols: number;
  /** N_DMRS^PRB: DMRS REs per PRB over the allocation, CDM groups without data included. */
  dmrsResPerPrb: number;
  /** N_oh^PRB: the xOverhead of PDSCH-ServingCellConfig (0 when not configured). */
  overheadResPerPrb: number;
  /** Q_m. */
  modulationOrder: number;
  /** R, the target code rate (codeRateX1024 / 1024). */
  codeRate: number;
  /** v, MIMO layers. */
  layers: number;
}

/** ⌊log2 x⌋ for x ≥ 1, corrected so a floating-point log2 can never land on the wrong side of a power of two. */
function floorLog2(x: number): number {
  let n = Math.floor(Math.log2(x));
  if (2 ** (n + 1) <= x) n += 1;
  if (2 ** n > x) n -= 1;
  return n;
}

/** TBS in bits; 0 when nothing can be sent (no PRBs, no RE left after DMRS and overhead, R = 0). */
export function transportBlockSizeBits(p: TbsInput): number {
  for (const [name, value] of Object.entries(p)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number ≥ 0, got ${value}`);
  }
  if (p.prbs === 0) return 0;

  // Step 1: N'_RE = 12·N_symb − N_DMRS − N_oh per PRB; N_RE = min(156, N'_RE)·n_PRB.
  const resPerPrb = 12 * p.pdschSymbols - p.dmrsResPerPrb - p.overheadResPerPrb;
  if (resPerPrb <= 0) return 0;
  const res = Math.min(156, resPerPrb) * p.prbs;

  // Step 2: N_info = N_RE·R·Q_m·v.
  const nInfo = res * p.codeRate * p.modulationOrder * p.layers;
  if (nInfo <= 0) return 0;

  if (nInfo <= 3824) {
    // Step 3: quantize to n = max(3, ⌊log2 N_info⌋ − 6) bits, then the closest table TBS ≥ N'_info.
    const n = Math.max(3, floorLog2(nInfo) - 6);
    const nInfoQuantized = Math.max(24, 2 ** n * Math.floor(nInfo / 2 ** n));
    // N'_info ≤ N_info ≤ 3824, the table's last entry, so the search always succeeds.
    return tbsTable.find((tbs) => tbs >= nInfoQuantized)!;
  }

  // Step 4: n = ⌊log2(N_info − 24)⌋ − 5; N'_info = max(3840, 2^n·round((N_info − 24)/2^n)), ties up
  // (Math.round rounds x.5 up for the positive values here).
  const n = floorLog2(nInfo - 24) - 5;
  const nInfoQuantized = Math.max(3840, 2 ** n * Math.round((nInfo - 24) / 2 ** n));
  // C code blocks of LDPC base graph 2 (≤ 3816 bits each) for R ≤ 1/4, of base graph 1 (≤ 8424) otherwise
  // (TS 38.212 §5.2.2); the TBS is padded so every block carries the same number of bytes.
  const segmentedTbs = (maxCodeBlockBits: number): number => {
    const codeBlocks = Math.ceil((nInfoQuantized + 24) / maxCodeBlockBits);
    return 8 * codeBlocks * Math.ceil((nInfoQuantized + 24) / (8 * codeBlocks)) - 24;
  };
  if (p.codeRate <= 1 / 4) return segmentedTbs(3816);
  if (nInfoQuantized > 8424) return segmentedTbs(8424);
  return 8 * Math.ceil((nInfoQuantized + 24) / 8) - 24;
}
