"""The twin's latency, HARQ and goodput model (Sionna models none of this), as pure functions.

One transport block is sent per slot. Its expected delivery latency is

    latency = T_slot + T_proc + E[retransmissions] · T_RTT

* ``T_slot`` — air time of the transmission, one slot: 1/2^μ ms (TS 38.211 §4.3.2).
* ``T_proc`` — UE encoding plus gNB decoding:
    - UE side: PUSCH preparation time N2 of UE processing capability 1, TS 38.214 Table 6.4-1
      (10, 12, 23, 36 symbols for μ = 0, 1, 2, 3).
    - gNB side: 38.214 sets no gNB decoding time; we take the UE PDSCH decoding time N1 of processing
      capability 1 as a proxy for decoding a shared channel of the same size, TS 38.214 Table 5.3-1 with
      dmrs-AdditionalPosition = pos0 (8, 10, 17, 20 symbols for μ = 0, 1, 2, 3), matching the single
      front-loaded DMRS the link-level simulation uses.
    - N1 is read as the budget of a decoder running ``REFERENCE_LDPC_ITERATIONS`` = 20 belief-propagation
      iterations (Sionna's TBDecoder default). Our assumption: ``LDPC_SHARE_OF_N1`` = half of that budget is
      LDPC decoding, and that half scales linearly with the configured iteration count (a hardware decoder
      provisions for its maximum iteration count, so the plan's maximum, not the average, is used).
    Symbols are converted to ms with (2048 + 144)·κ·2^-μ·T_c (TS 38.214 §6.4, §5.3).
* ``T_RTT`` — one HARQ round trip: ``HARQ_RTT_SLOTS`` = 8 slots. This is our assumption, carried over from the
  8-subframe synchronous HARQ of LTE FR1 practice; NR HARQ timing is flexible (K1/K2 and the processing times
  above) and 8 slots is a common system-simulation value for FR1.
* ``E[retransmissions]`` — with a per-attempt BLER p, independent attempts (no chase/IR combining, as the
  orchestration schema states) and at most R retransmissions, attempt k+1 happens iff the first k failed, so
  E[retransmissions] = Σ_{k=1..R} p^k, the expected number of attempts is 1 + Σ_{k=1..R} p^k, and the block is
  lost after all R+1 attempts with probability p^(R+1) (residual BLER).

Goodput (delivered TB bits per second, what ``TwinResult.throughput_mbps`` reports):

    goodput = TBS · (1 − p^(R+1)) / (T_slot · E[attempts])

i.e. the HARQ process keeps the link busy for E[attempts] slots per block. With HARQ off R = 0 and this is
TBS·(1−p)/T_slot.
"""

from __future__ import annotations

from dataclasses import dataclass

from twin_bridge.nr import numerology, slot_duration_ms, symbol_duration_ms

N2_SYMBOLS_CAP1: dict[int, int] = {0: 10, 1: 12, 2: 23, 3: 36}
"""PUSCH preparation time N2 [symbols], UE processing capability 1 (TS 38.214 Table 6.4-1)."""

N1_SYMBOLS_CAP1_POS0: dict[int, int] = {0: 8, 1: 10, 2: 17, 3: 20}
"""PDSCH decoding time N1 [symbols], capability 1, dmrs-AdditionalPosition = pos0 (TS 38.214 Table 5.3-1)."""

REFERENCE_LDPC_ITERATIONS = 20
"""BP iterations N1 is assumed to budget for (Sionna's TBDecoder default ``num_bp_iter``)."""

LDPC_SHARE_OF_N1 = 0.5
"""Assumed fraction of the N1 budget spent in LDPC decoding (the rest: FFT, channel estimation, detection)."""

HARQ_RTT_SLOTS = 8
"""HARQ round-trip time in slots (assumption, see the module docstring)."""


@dataclass(frozen=True)
class LinkMetrics:
    """What the latency/HARQ model derives from one per-attempt BLER."""

    latency_ms: float
    processing_ms: float
    expected_attempts: float
    residual_bler: float
    throughput_mbps: float


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")


def _check_retransmissions(max_retransmissions: int) -> None:
    if max_retransmissions < 0:
        raise ValueError(f"max_retransmissions must be >= 0, got {max_retransmissions}")


def processing_time_ms(subcarrier_spacing_khz: int, ldpc_iterations: int) -> float:
    """UE PUSCH preparation (N2) plus gNB decoding (N1 scaled by LDPC iterations), in ms."""
    mu = numerology(subcarrier_spacing_khz)
    if mu not in N2_SYMBOLS_CAP1:
        raise ValueError(f"processing times are tabulated for μ = 0..3 only, not for {subcarrier_spacing_khz} kHz")
    if ldpc_iterations < 1:
        raise ValueError(f"ldpc_iterations must be >= 1, got {ldpc_iterations}")
    n1 = N1_SYMBOLS_CAP1_POS0[mu] * (
        (1.0 - LDPC_SHARE_OF_N1) + LDPC_SHARE_OF_N1 * ldpc_iterations / REFERENCE_LDPC_ITERATIONS
    )
    return (N2_SYMBOLS_CAP1[mu] + n1) * symbol_duration_ms(subcarrier_spacing_khz)


def expected_retransmissions(bler: float, max_retransmissions: int) -> float:
    """Σ_{k=1..R} p^k: expected number of extra attempts with independent attempts of BLER p."""
    _check_probability("bler", bler)
    _check_retransmissions(max_retransmissions)
    return sum(bler**k for k in range(1, max_retransmissions + 1))


def residual_bler(bler: float, max_retransmissions: int) -> float:
    """p^(R+1): probability that all R+1 independent attempts fail."""
    _check_probability("bler", bler)
    _check_retransmissions(max_retransmissions)
    return bler ** (max_retransmissions + 1)


def link_metrics(
    bler: float,
    tbs_bits: int,
    subcarrier_spacing_khz: int,
    ldpc_iterations: int,
    harq_enabled: bool,
    harq_max_retransmissions: int,
) -> LinkMetrics:
    """Latency, residual BLER and goodput of one transport block per slot (see the module docstring)."""
    _check_probability("bler", bler)
    if tbs_bits < 0:
        raise ValueError(f"tbs_bits must be >= 0, got {tbs_bits}")
    max_retx = harq_max_retransmissions if harq_enabled else 0
    slot_ms = slot_duration_ms(subcarrier_spacing_khz)
    proc_ms = processing_time_ms(subcarrier_spacing_khz, ldpc_iterations)
    extra = expected_retransmissions(bler, max_retx)
    attempts = 1.0 + extra
    res = residual_bler(bler, max_retx)
    latency = slot_ms + proc_ms + extra * HARQ_RTT_SLOTS * slot_ms
    # bits per ms = kbit/s; divide by 1e3 for Mbit/s
    goodput_mbps = tbs_bits * (1.0 - res) / (slot_ms * attempts) / 1e3
    return LinkMetrics(
        latency_ms=latency,
        processing_ms=proc_ms,
        expected_attempts=attempts,
        residual_bler=res,
        throughput_mbps=goodput_mbps,
    )
