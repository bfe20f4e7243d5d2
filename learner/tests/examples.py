"""A task and a link that meets it on the system-level twin, shared by the prompt, grammar and serving tests."""

from __future__ import annotations

from sixg_learner.tasks.task import Qos, Task
from twin_bridge.orchestration import LinkConfig, ScenarioConfig

VIDEO_CALL_TASK = Task(
    id="example",
    description="A video call from a laptop in a café: the camera stream goes up to the conferencing server.",
    qos=Qos(min_throughput_mbps=8.0, max_delay_ms=3.0, max_ber=1e-3),
    scenario=ScenarioConfig(
        channel_model="tdl-a", snr_db=12.0, ue_speed_mps=1.0, carrier_frequency_ghz=3.5, delay_spread_ns=100.0
    ),
)

VIDEO_CALL_LINK = LinkConfig(
    mcs_index=13,
    mcs_table=1,
    num_prbs=14,
    subcarrier_spacing_khz=30,
    bandwidth_mhz=20,
    num_layers=1,
    num_tx_antennas=1,
    num_rx_antennas=2,
    channel_estimator="ls",
    detector="lmmse",
    ldpc_iterations=20,
    harq_enabled=False,
    harq_max_retransmissions=0,
)
"""Meets VIDEO_CALL_TASK: 8.19 Mbps, 1.29 ms on the system-level twin (test_orchestrate checks it)."""
