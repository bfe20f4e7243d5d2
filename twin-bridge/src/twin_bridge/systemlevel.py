"""System-level evaluation of an orchestration with Sionna SYS's ``PHYAbstraction`` (milliseconds per plan).

The abstraction maps an effective SINR, the MCS and the number of allocated REs to a transport-block error
rate using the AWGN BLER tables shipped in ``sionna/sys/bler_tables``; TBS, goodput and latency then follow
from :mod:`twin_bridge.nr` and :mod:`twin_bridge.latency` exactly as for the link level.

SINR mapping (deliberately simple, every step documented; `effective_sinr_db` computes it):

1. **Array gain.** Per-layer SINR = SNR · num_rx_antennas / num_layers. ``scenario.snr_db`` is the SNR per RE and
   receive antenna with the UE's total power split over its layers (the link-level convention); ideal combining
   over the receive antennas of a channel with orthogonal, unit-gain columns gives each layer this SINR, with no
   inter-layer interference. On AWGN this is exactly what the link-level evaluator simulates.
2. **Fading (TDL/CDL).** The 38.901 TDL/CDL A and C profiles are NLOS: each branch fades like Rayleigh. A
   transport block spread over D independent fading branches sees, after combining, an SINR distributed as
   Gamma(D, 1/D) times its mean. The link is dimensioned for the 10th percentile of that distribution
   (`FADING_OUTAGE` = 0.1, the order of the BLER target), i.e. the mean SINR is scaled by
   q(D) = Gamma(D, 1/D).ppf(0.1): D = 1 costs 9.8 dB, D = 4 3.6 dB, D = 16 1.5 dB, D = 64 0.7 dB. D is
   spatial × frequency diversity: spatial N_r − N_l + 1 for the linear detectors (LMMSE, ZF) and N_r for K-best
   (near-ML detection keeps the full receive diversity); frequency 1 + B_alloc / B_c with the coherence
   bandwidth B_c = 1 / (5 τ_rms), capped at `MAX_FREQUENCY_DIVERSITY` = 8 (the code blocks of one TB interleave
   over at most a few coherence bands). So a narrow allocation in a short-delay-spread channel fades flat and
   needs a wide margin; the radio numbers of the scenario change the result. ZF costs a further
   `ZF_LOSS_DB` with more than one layer (noise enhancement).
3. **Channel estimation.** LS costs ``LS_ESTIMATION_LOSS_DB`` = 1 dB of SINR, calibrated against the link level:
   on AWGN with Sionna's PUSCHLSChannelEstimator the BLER waterfall moved by 0.76-1.14 dB relative to perfect
   CSI (MCS 5/10/15 at 24 and 106 PRBs). On a fading channel the LS estimate from the one front-loaded DMRS
   symbol is also stale and interpolated: its correlation with the channel at a data RE is
   ρ = J0(2π f_D τ) · 1/√(1 + (2π τ_rms Δf)²) with the Doppler f_D = v f_c / c, τ half a slot (data symbols
   are on average half a slot from the DMRS) and Δf one subcarrier (comb-2 DMRS, linear interpolation). The
   error acts as self-interference: SINR ← SINR ρ² / (1 + SINR (1 − ρ²)), a ceiling that a high SNR cannot
   beat. So a fast UE needs a short slot (a wider SCS) or measured CSI, and a long delay spread favours a
   narrow SCS. ``perfect`` (measured channel knowledge) has none of these losses.
4. **Decoder.** ``ldpc_iterations`` below the 20 the BLER tables were made with cost
   ``LDPC_LOSS_DB_PER_HALVING`` = 0.8 dB per halving (5 iterations: 1.6 dB; 1: 3.5 dB); more than 20 gain
   nothing. Our assumption, of the order of what belief-propagation decoders lose when stopped early.

Limits: the fading and estimation steps are closed forms of the average behaviour, not a link-level
calibration; the link-level evaluator (``linklevel.py``) simulates the same plans with Sionna's TDL/CDL
channels for that.

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


FADING_OUTAGE = 0.1
"""Quantile of the faded SINR a block is dimensioned for (module docstring, step 2)."""

MAX_FREQUENCY_DIVERSITY = 8.0
"""Most independent coherence bands one transport block gains from (module docstring, step 2)."""

ZF_LOSS_DB = 1.0
"""Noise enhancement of zero forcing against LMMSE with more than one layer (assumption)."""

LDPC_REFERENCE_ITERATIONS = 20
"""BP iterations of the decoder the BLER tables assume (Sionna's default)."""

LDPC_LOSS_DB_PER_HALVING = 0.8
"""SINR lost per halving of the LDPC iterations below the reference (assumption, module docstring step 4)."""

SPEED_OF_LIGHT_MPS = 299_792_458.0


def _gamma_quantile(shape: float, q: float) -> float:
    """x with P(Gamma(shape, 1/shape) <= x) = q, by bisection on the regularised incomplete gamma function."""
    k = torch.tensor(shape, dtype=torch.float64)
    low, high = 0.0, 1.0
    while float(torch.special.gammainc(k, k * high)) < q:
        high *= 2.0
    for _ in range(60):
        mid = 0.5 * (low + high)
        if float(torch.special.gammainc(k, k * mid)) < q:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


@lru_cache(maxsize=4096)
def fading_factor(diversity: float) -> float:
    """q(D): the `FADING_OUTAGE` quantile of the combined SINR over its mean, for D independent branches."""
    if diversity < 1:
        raise ValueError(f"diversity must be >= 1, got {diversity}")
    return _gamma_quantile(round(diversity, 3), FADING_OUTAGE)


def diversity_order(link: LinkConfig, scenario: ScenarioConfig) -> float:
    """Spatial × frequency diversity of a faded transport block (module docstring, step 2)."""
    spatial = link.num_rx_antennas if link.detector == "kbest" else link.num_rx_antennas - link.num_layers + 1
    allocated_hz = link.num_prbs * 12 * link.subcarrier_spacing_khz * 1e3
    coherence_hz = 1.0 / (5.0 * scenario.delay_spread_ns * 1e-9)
    frequency = min(1.0 + allocated_hz / coherence_hz, MAX_FREQUENCY_DIVERSITY)
    return spatial * frequency


def estimate_correlation(link: LinkConfig, scenario: ScenarioConfig) -> float:
    """ρ between the LS estimate and the channel at a data RE (module docstring, step 3); 1 without fading."""
    if scenario.channel_model == "awgn":
        return 1.0
    doppler_hz = scenario.ue_speed_mps * scenario.carrier_frequency_ghz * 1e9 / SPEED_OF_LIGHT_MPS
    staleness_s = 0.5 * nr.slot_duration_ms(link.subcarrier_spacing_khz) * 1e-3
    in_time = float(torch.special.bessel_j0(torch.tensor(2 * math.pi * doppler_hz * staleness_s, dtype=torch.float64)))
    spacing_hz = link.subcarrier_spacing_khz * 1e3
    in_frequency = 1.0 / math.sqrt(1.0 + (2 * math.pi * scenario.delay_spread_ns * 1e-9 * spacing_hz) ** 2)
    return max(in_time, 0.0) * in_frequency


def effective_sinr_db(link: LinkConfig, scenario: ScenarioConfig) -> float:
    """Per-layer SINR [dB] the abstraction is fed for a plan (module docstring, steps 1-4)."""
    sinr_db = scenario.snr_db + 10.0 * math.log10(link.num_rx_antennas / link.num_layers)
    faded = scenario.channel_model != "awgn"
    if faded:
        sinr_db += 10.0 * math.log10(fading_factor(diversity_order(link, scenario)))
        if link.detector == "zf" and link.num_layers > 1:
            sinr_db -= ZF_LOSS_DB
    if link.ldpc_iterations < LDPC_REFERENCE_ITERATIONS:
        sinr_db -= LDPC_LOSS_DB_PER_HALVING * math.log2(LDPC_REFERENCE_ITERATIONS / link.ldpc_iterations)
    if link.channel_estimator == "ls":
        sinr_db -= LS_ESTIMATION_LOSS_DB
        rho_sq = estimate_correlation(link, scenario) ** 2
        if faded and rho_sq < 1.0:
            sinr = 10.0 ** (sinr_db / 10.0)
            sinr_db = 10.0 * math.log10(max(sinr * rho_sq / (1.0 + sinr * (1.0 - rho_sq)), 1e-12))
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
