"""Turns a measured per-attempt BLER into the twin's result, the same way for both fidelities."""

from __future__ import annotations

from typing import Literal

from twin_bridge import nr
from twin_bridge.latency import link_metrics
from twin_bridge.orchestration import LinkConfig, TwinResult


def twin_result(
    fidelity: Literal["link", "system"],
    link: LinkConfig,
    *,
    bler: float,
    tbs_bits: int,
    ber: float | None,
    num_slots: int,
    elapsed_s: float,
) -> TwinResult:
    """Adds HARQ, goodput and latency (twin_bridge.latency) and the plan's MCS facts to a BLER."""
    metrics = link_metrics(
        bler,
        tbs_bits,
        link.subcarrier_spacing_khz,
        link.ldpc_iterations,
        link.harq_enabled,
        link.harq_max_retransmissions,
    )
    q_m, rate = nr.modulation_and_code_rate(link.mcs_table, link.mcs_index)
    return TwinResult(
        fidelity=fidelity,
        ber=ber,
        bler=bler,
        residual_bler=metrics.residual_bler,
        throughput_mbps=metrics.throughput_mbps,
        latency_ms=metrics.latency_ms,
        tbs_bits=tbs_bits,
        slot_duration_ms=nr.slot_duration_ms(link.subcarrier_spacing_khz),
        code_rate=rate,
        modulation_order=q_m,
        num_slots=num_slots,
        elapsed_s=elapsed_s,
    )
