"""Small 5G NR numerology helpers shared by the link- and system-level evaluators.

Everything here describes the PUSCH slot exactly as Sionna's ``PUSCHConfig`` builds it with its defaults
(which the link-level evaluator keeps):

* 14 OFDM symbols per slot (normal cyclic prefix, mapping type A, full-slot allocation);
* one front-loaded DMRS symbol (DMRS configuration type 1, length 1, no additional position) with two CDM
  groups without data, so the DMRS symbol carries no data: 12 DMRS REs per PRB (TS 38.214 §5.1.3.2 N_DMRS^PRB);
* no transform precoding, so the MCS tables are TS 38.214 Tables 5.1.3.1-1 (64QAM) and 5.1.3.1-2 (256QAM),
  as §6.1.4.1 prescribes for PUSCH without transform precoding.

Data REs per PRB: N'_RE = 12 * 14 - 12 - 0 = 156 (the TS 38.214 cap of 156 is reached exactly).
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from sionna.phy.nr.utils import calculate_tb_size, decode_mcs_index

SYMBOLS_PER_SLOT = 14
"""OFDM symbols per slot with normal cyclic prefix (TS 38.211 §4.3.2)."""

SUBCARRIERS_PER_PRB = 12
"""Subcarriers per resource block (TS 38.211 §4.4.4.1)."""

DMRS_RES_PER_PRB = 12
"""REs per PRB lost to DMRS: one DMRS symbol, two CDM groups without data (Sionna's PUSCHDMRSConfig defaults)."""

DATA_RES_PER_PRB = SUBCARRIERS_PER_PRB * SYMBOLS_PER_SLOT - DMRS_RES_PER_PRB
"""Data REs per PRB and layer, N'_RE of TS 38.214 §5.1.3.2 (156, equal to the specification's cap)."""

_MAX_MCS_INDEX = {1: 28, 2: 27}  # TS 38.214 Table 5.1.3.1-1 ends at 28, Table 5.1.3.1-2 at 27 (28..31 reserved)

# TS 38.211 §4.1: T_c = 1 / (480 kHz * 4096), kappa = 64. One OFDM symbol incl. its (average) normal CP lasts
# (2048 + 144) * kappa * 2^-mu * T_c, the unit TS 38.214 uses for its processing times.
_T_C_MS = 1e3 / (480e3 * 4096)
_KAPPA = 64


def numerology(subcarrier_spacing_khz: int) -> int:
    """μ = log2(SCS / 15 kHz) (TS 38.211 Table 4.2-1); SCS must be 15·2^μ kHz with μ in 0..4."""
    mu = round(math.log2(subcarrier_spacing_khz / 15)) if subcarrier_spacing_khz > 0 else -1
    if mu < 0 or mu > 4 or 15 * 2**mu != subcarrier_spacing_khz:
        raise ValueError(f"subcarrier spacing {subcarrier_spacing_khz} kHz is not an NR numerology (15·2^μ kHz)")
    return mu


def slot_duration_ms(subcarrier_spacing_khz: int) -> float:
    """Slot duration 1 / 2^μ ms (TS 38.211 §4.3.2: 14 symbols, 2^μ slots per 1 ms subframe)."""
    return 1.0 / 2 ** numerology(subcarrier_spacing_khz)


def symbol_duration_ms(subcarrier_spacing_khz: int) -> float:
    """Duration of one OFDM symbol incl. cyclic prefix as TS 38.214 counts processing times: (2048+144)·κ·2^-μ·T_c."""
    return (2048 + 144) * _KAPPA * 2.0 ** -numerology(subcarrier_spacing_khz) * _T_C_MS


def _check_mcs(mcs_table: int, mcs_index: int) -> None:
    if mcs_table not in _MAX_MCS_INDEX:
        raise ValueError(f"mcs_table {mcs_table} is not supported (1: 64QAM table, 2: 256QAM table)")
    if not 0 <= mcs_index <= _MAX_MCS_INDEX[mcs_table]:
        raise ValueError(
            f"mcs_index {mcs_index} is not in MCS table {mcs_table}, which covers 0..{_MAX_MCS_INDEX[mcs_table]}"
        )


@lru_cache(maxsize=256)
def modulation_and_code_rate(mcs_table: int, mcs_index: int) -> tuple[int, float]:
    """(modulation order Q_m, target code rate R) of an MCS, from Sionna's ``decode_mcs_index``.

    PUSCH without transform precoding, i.e. TS 38.214 Table 5.1.3.1-1 (table 1) or 5.1.3.1-2 (table 2).
    The rate is R/1024 as a float (e.g. 340/1024 for table 1, MCS 10).
    """
    _check_mcs(mcs_table, mcs_index)
    q_m, rate = decode_mcs_index(mcs_index, table_index=mcs_table, is_pusch=True, transform_precoding=False)
    return int(q_m), float(rate)


def num_allocated_res(num_prbs: int, num_layers: int = 1) -> int:
    """Data resource elements of one slot, summed over layers: 156 · num_prbs · num_layers.

    This is the ``num_allocated_re`` that ``sionna.sys.PHYAbstraction`` expects (REs across symbols, subcarriers
    and streams) and equals the number of modulation symbols Sionna's PUSCHTransmitter maps per slot.
    """
    if num_prbs < 1 or num_layers < 1:
        raise ValueError(f"num_prbs ({num_prbs}) and num_layers ({num_layers}) must be positive")
    return DATA_RES_PER_PRB * num_prbs * num_layers


def num_coded_bits(mcs_table: int, mcs_index: int, num_prbs: int, num_layers: int = 1) -> int:
    """Coded bits per slot G = Q_m · 156 · num_prbs · num_layers (TS 38.212 §6.2.5 rate matching output)."""
    q_m, _ = modulation_and_code_rate(mcs_table, mcs_index)
    return q_m * num_allocated_res(num_prbs, num_layers)


@lru_cache(maxsize=4096)
def transport_block_size(mcs_table: int, mcs_index: int, num_prbs: int, num_layers: int = 1) -> int:
    """Transport block size in bits (TS 38.214 §5.1.3.2 / §6.1.4.2) for one full-slot PUSCH.

    Computed with Sionna's ``calculate_tb_size`` exactly the way ``PUSCHConfig.tb_size`` calls it (target size
    N_info = int(R · N_RE · Q_m · v) in single precision, then quantisation and the TBS table), so it equals
    the number of information bits that Sionna's PUSCHTransmitter sends per slot.
    """
    if not 1 <= num_prbs <= 275:
        raise ValueError(f"num_prbs {num_prbs} is outside 1..275")
    if not 1 <= num_layers <= 4:
        raise ValueError(f"num_layers {num_layers} is outside 1..4")
    q_m, _ = modulation_and_code_rate(mcs_table, mcs_index)
    _, rate = decode_mcs_index(mcs_index, table_index=mcs_table, is_pusch=True, transform_precoding=False)
    n_re = min(156, DATA_RES_PER_PRB) * num_prbs
    target_tb_size = int(rate * 1.0 * n_re * q_m * num_layers)  # float32 tensor arithmetic, as PUSCHConfig.tb_size
    tb_size, *_ = calculate_tb_size(
        target_tb_size=target_tb_size,
        num_coded_bits=num_coded_bits(mcs_table, mcs_index, num_prbs, num_layers),
        target_coderate=rate,
        modulation_order=q_m,
        verbose=False,
    )
    return int(torch.as_tensor(tb_size).item())
