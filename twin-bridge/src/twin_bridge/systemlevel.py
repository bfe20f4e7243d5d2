"""System-level evaluation of an orchestration with Sionna SYS's ``PHYAbstraction`` (milliseconds per plan).

The abstraction maps an effective SINR, the MCS and the number of allocated REs to a transport-block error
rate using the AWGN BLER tables shipped in ``sionna/sys/bler_tables``; TBS, goodput and latency then follow
from :mod:`twin_bridge.nr` and :mod:`twin_bridge.latency` exactly as for the link level.

SINR mapping (state of the art it is not; it is deliberately simple and documented):

* Per-layer SINR = SNR · num_rx_antennas / num_layers. ``scenario.snr_db`` is the SNR per RE and receive
  antenna with the UE's total power split over its layers (the link-level convention); ideal combining over
  the receive antennas of a channel with orthogonal, unit-gain columns gives each layer this SINR, with no
  inter-layer interference. On AWGN this is exactly what the link-level evaluator simulates.
* LS channel estimation costs ``LS_ESTIMATION_LOSS_DB`` = 1 dB of SINR, calibrated against the link level: on
  AWGN with Sionna's PUSCHLSChannelEstimator the BLER waterfall moved by 0.76-1.14 dB relative to perfect CSI
  (MCS 5/10/15 at 24 and 106 PRBs). For scale: the LS error on the 3 dB boosted comb-2 DMRS with linear
  interpolation has about 3/8 of the noise variance, and 10·log10(1 + 3/8) = 1.4 dB would be the loss if that
  error acted like extra white noise; it is constant over a subcarrier's 13 data symbols, and costs less.
  Perfect CSI has no loss. The detector (LMMSE/ZF/K-best) and the LDPC iteration count are not modelled (the
  tables come from a fixed decoder).
* Fading channels (TDL/CDL), UE speed and delay spread are *not* modelled: the tables are AWGN tables, so a
  fading scenario is evaluated as if it were AWGN at the same average SNR. Expect optimistic BLERs there.

Tables: the plan's PUSCH has no transform precoding, so its MCS tables are TS 38.214 Tables 5.1.3.1-1/-2, the
same (Q_m, R) as PDSCH. Sionna ships PDSCH curves for table 1 MCS 3..28 and table 2 MCS 2..27 (category 1) and
PUSCH curves (category 0) whose table-2 rows match the transform-precoding MCS table (e.g. MCS 10 decodes near
-1.4 dB, i.e. QPSK), so this module reads the PDSCH curves. The curves are simulated for code blocks up to
2000 bits and for SNRs up to 20 dB (table 1) / 25 dB (table 2); larger code blocks use the 2000-bit curve and
SINRs outside the grid use the edge value, so e.g. table 2 MCS 27 keeps a code-block BLER of ≈0.15 above 25 dB.
Transport BLER = 1 − (1 − BLER_CB)^C over the C code blocks (Sionna's own computation).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from functools import lru_cache

import torch
from sionna.sys import PHYAbstraction

from twin_bridge import nr
from twin_bridge.orchestration import LinkConfig, Orchestration, ScenarioConfig, TwinResult
from twin_bridge.result import twin_result

LS_ESTIMATION_LOSS_DB = 1.0
"""SINR loss of LS channel estimation relative to perfect CSI, calibrated on the link level (module docstring)."""

BLER_TABLE_CATEGORY = 1
"""``mcs_category`` of the BLER curves used: 1 = the PDSCH tables (see the module docstring)."""

_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def phy_abstraction() -> PHYAbstraction:
    """The process-wide PHYAbstraction with Sionna's shipped BLER tables (built once, ~0.3 s)."""
    return PHYAbstraction()


def effective_sinr_db(link: LinkConfig, scenario: ScenarioConfig) -> float:
    """Per-layer SINR [dB] the abstraction is fed for a plan (see the module docstring)."""
    sinr_db = scenario.snr_db + 10.0 * math.log10(link.num_rx_antennas / link.num_layers)
    if link.channel_estimator == "ls":
        sinr_db -= LS_ESTIMATION_LOSS_DB
    return sinr_db


def _validate(plan: Orchestration) -> Orchestration:
    if not isinstance(plan, Orchestration):
        raise TypeError(f"plan must be an Orchestration, got {type(plan).__name__}")
    # re-run the cross-field rules in case the plan was built without validation (model_construct)
    return Orchestration.model_validate(plan.model_dump())


def evaluate_system_level_batch(plans: Sequence[Orchestration]) -> list[TwinResult]:
    """Evaluate many plans with one vectorised PHYAbstraction call; results are in input order."""
    start = time.perf_counter()
    checked = [_validate(p) for p in plans]
    if not checked:
        return []
    links = [p.link for p in checked]
    for link in links:
        nr.modulation_and_code_rate(link.mcs_table, link.mcs_index)  # ValueError for an MCS outside its table
    mcs = torch.tensor([link.mcs_index for link in links], dtype=torch.int32)
    table = torch.tensor([link.mcs_table for link in links], dtype=torch.int32)
    num_re = torch.tensor([nr.num_allocated_res(link.num_prbs, link.num_layers) for link in links], dtype=torch.int32)
    sinr_db = torch.tensor([effective_sinr_db(p.link, p.scenario) for p in checked], dtype=torch.float64)
    sinr = torch.pow(10.0, sinr_db / 10.0).to(torch.float32)
    abstraction = phy_abstraction()
    with _LOCK, torch.no_grad():
        _, _, _, tbler, _ = abstraction(
            mcs,
            sinr_eff=sinr,
            num_allocated_re=num_re,
            mcs_table_index=table,
            mcs_category=torch.full_like(mcs, BLER_TABLE_CATEGORY),
        )
    tbler_values = tbler.tolist()
    elapsed = (time.perf_counter() - start) / len(checked)

    results = []
    for link, p_fail in zip(links, tbler_values, strict=True):
        if not math.isfinite(p_fail):
            raise ValueError(
                f"Sionna's shipped BLER tables have no curve for MCS {link.mcs_index} of MCS table "
                f"{link.mcs_table} (table 1 covers MCS 3..28, table 2 covers 2..27)"
            )
        bler = min(max(float(p_fail), 0.0), 1.0)
        tbs = nr.transport_block_size(link.mcs_table, link.mcs_index, link.num_prbs, link.num_layers)
        results.append(twin_result("system", link, bler=bler, tbs_bits=tbs, ber=None, num_slots=0, elapsed_s=elapsed))
    return results


def evaluate_system_level(plan: Orchestration) -> TwinResult:
    """Evaluate one plan with the PHY abstraction (see the module docstring for the model)."""
    return evaluate_system_level_batch([plan])[0]
