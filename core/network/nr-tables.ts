/**
 * The 3GPP TS 38.214 tables the slice operator needs, transcribed by hand (the spec's markdown is
 * read at test time only, to check this transcription: tests/unit/slice-operator.test.ts).
 * Code rates are kept as R × 1024, as the spec prints them, so R = codeRateX1024 / 1024 is an
 * exact binary fraction and the TBS arithmetic of §5.1.3.2 stays exact in floating point.
 */

/** One row of a 4-bit CQI table (TS 38.214 §5.2.2.1). CQI 0 ("out of range") has no row. */
export interface CqiRow {
  cqi: number;
  /** Q_m: 2 QPSK, 4 16QAM, 6 64QAM, 8 256QAM. */
  modulationOrder: number;
  codeRateX1024: number;
  /** Bits per resource element, as printed (4 decimals). */
  spectralEfficiency: number;
}

/** One row of a PDSCH MCS index table (TS 38.214 §5.1.3.1); the reserved rows (retransmissions only) are left out. */
export interface McsRow {
  mcsIndex: number;
  modulationOrder: number;
  codeRateX1024: number;
  spectralEfficiency: number;
}

type Row = readonly [index: number, modulationOrder: number, codeRateX1024: number, spectralEfficiency: number];

const cqiRows = (rows: readonly Row[]): readonly CqiRow[] =>
  rows.map(([cqi, modulationOrder, codeRateX1024, spectralEfficiency]) => ({
    cqi,
    modulationOrder,
    codeRateX1024,
    spectralEfficiency,
  }));

const mcsRows = (rows: readonly Row[]): readonly McsRow[] =>
  rows.map(([mcsIndex, modulationOrder, codeRateX1024, spectralEfficiency]) => ({
    mcsIndex,
    modulationOrder,
    codeRateX1024,
    spectralEfficiency,
  }));

/** TS 38.214 Table 5.2.2.1-2: 4-bit CQI Table (up to 64QAM), CQI 1–15. */
export const cqiTable1 = cqiRows([
  [1, 2, 78, 0.1523],
  [2, 2, 120, 0.2344],
  [3, 2, 193, 0.377],
  [4, 2, 308, 0.6016],
  [5, 2, 449, 0.877],
  [6, 2, 602, 1.1758],
  [7, 4, 378, 1.4766],
  [8, 4, 490, 1.9141],
  [9, 4, 616, 2.4063],
  [10, 6, 466, 2.7305],
  [11, 6, 567, 3.3223],
  [12, 6, 666, 3.9023],
  [13, 6, 772, 4.5234],
  [14, 6, 873, 5.1152],
  [15, 6, 948, 5.5547],
]);

/** TS 38.214 Table 5.2.2.1-3: 4-bit CQI Table 2 (up to 256QAM), CQI 1–15. */
export const cqiTable2 = cqiRows([
  [1, 2, 78, 0.1523],
  [2, 2, 193, 0.377],
  [3, 2, 449, 0.877],
  [4, 4, 378, 1.4766],
  [5, 4, 490, 1.9141],
  [6, 4, 616, 2.4063],
  [7, 6, 466, 2.7305],
  [8, 6, 567, 3.3223],
  [9, 6, 666, 3.9023],
  [10, 6, 772, 4.5234],
  [11, 6, 873, 5.1152],
  [12, 8, 711, 5.5547],
  [13, 8, 797, 6.2266],
  [14, 8, 885, 6.9141],
  [15, 8, 948, 7.4063],
]);

/** TS 38.214 Table 5.1.3.1-1: MCS index table 1 for PDSCH (up to 64QAM), I_MCS 0–28. */
export const mcsTable1 = mcsRows([
  [0, 2, 120, 0.2344],
  [1, 2, 157, 0.3066],
  [2, 2, 193, 0.377],
  [3, 2, 251, 0.4902],
  [4, 2, 308, 0.6016],
  [5, 2, 379, 0.7402],
  [6, 2, 449, 0.877],
  [7, 2, 526, 1.0273],
  [8, 2, 602, 1.1758],
  [9, 2, 679, 1.3262],
  [10, 4, 340, 1.3281],
  [11, 4, 378, 1.4766],
  [12, 4, 434, 1.6953],
  [13, 4, 490, 1.9141],
  [14, 4, 553, 2.1602],
  [15, 4, 616, 2.4063],
  [16, 4, 658, 2.5703],
  [17, 6, 438, 2.5664],
  [18, 6, 466, 2.7305],
  [19, 6, 517, 3.0293],
  [20, 6, 567, 3.3223],
  [21, 6, 616, 3.6094],
  [22, 6, 666, 3.9023],
  [23, 6, 719, 4.2129],
  [24, 6, 772, 4.5234],
  [25, 6, 822, 4.8164],
  [26, 6, 873, 5.1152],
  [27, 6, 910, 5.332],
  [28, 6, 948, 5.5547],
]);

/** TS 38.214 Table 5.1.3.1-2: MCS index table 2 for PDSCH (up to 256QAM), I_MCS 0–27. */
export const mcsTable2 = mcsRows([
  [0, 2, 120, 0.2344],
  [1, 2, 193, 0.377],
  [2, 2, 308, 0.6016],
  [3, 2, 449, 0.877],
  [4, 2, 602, 1.1758],
  [5, 4, 378, 1.4766],
  [6, 4, 434, 1.6953],
  [7, 4, 490, 1.9141],
  [8, 4, 553, 2.1602],
  [9, 4, 616, 2.4063],
  [10, 4, 658, 2.5703],
  [11, 6, 466, 2.7305],
  [12, 6, 517, 3.0293],
  [13, 6, 567, 3.3223],
  [14, 6, 616, 3.6094],
  [15, 6, 666, 3.9023],
  [16, 6, 719, 4.2129],
  [17, 6, 772, 4.5234],
  [18, 6, 822, 4.8164],
  [19, 6, 873, 5.1152],
  [20, 8, 682.5, 5.332],
  [21, 8, 711, 5.5547],
  [22, 8, 754, 5.8906],
  [23, 8, 797, 6.2266],
  [24, 8, 841, 6.5703],
  [25, 8, 885, 6.9141],
  [26, 8, 916.5, 7.1602],
  [27, 8, 948, 7.4063],
]);

/** TS 38.214 Table 5.1.3.2-1: the TBS values for N_info ≤ 3824, indices 1–93 in order. */
export const tbsTable: readonly number[] = [
  24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, 128, 136, 144, 152, 160, 168, 176, 184, 192, 208, 224, 240,
  256, 272, 288, 304, 320, 336, 352, 368, 384, 408, 432, 456, 480, 504, 528, 552, 576, 608, 640, 672, 704, 736, 768,
  808, 848, 888, 928, 984, 1032, 1064, 1128, 1160, 1192, 1224, 1256, 1288, 1320, 1352, 1416, 1480, 1544, 1608, 1672,
  1736, 1800, 1864, 1928, 2024, 2088, 2152, 2216, 2280, 2408, 2472, 2536, 2600, 2664, 2728, 2792, 2856, 2976, 3104,
  3240, 3368, 3496, 3624, 3752, 3824,
];

/**
 * The table pair a cell's `cqiTable` setting selects: the CQI table the UE reports against
 * (CSI-ReportConfig cqi-Table) and the MCS table the gNB schedules with (PDSCH-Config mcs-Table).
 * 'table1' pairs with MCS table 1 and 'table2' with MCS table 2 (§5.1.3.1, §5.2.2.1).
 */
export const linkAdaptationTables = {
  1: { cqi: cqiTable1, mcs: mcsTable1 },
  2: { cqi: cqiTable2, mcs: mcsTable2 },
} as const satisfies Record<1 | 2, { cqi: readonly CqiRow[]; mcs: readonly McsRow[] }>;
