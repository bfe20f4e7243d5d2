"""The orchestration (the 6G-LLM's plan) and the twin's result, as pydantic models.

`orchestration.schema.json` beside this file is the single source of truth; a test checks these
models against it field by field (types, enums, bounds, defaults, required).
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# TS 38.101-1 Table 5.3.2-1 (FR1 maximum transmission bandwidth N_RB per SCS and channel bandwidth);
# None where the combination does not exist.
MAX_PRBS: dict[int, dict[int, int | None]] = {
    15: {5: 25, 10: 52, 15: 79, 20: 106, 25: 133, 30: 160, 40: 216, 50: 270,
         60: None, 70: None, 80: None, 90: None, 100: None},
    30: {5: 11, 10: 24, 15: 38, 20: 51, 25: 65, 30: 78, 40: 106, 50: 133,
         60: 162, 70: 189, 80: 217, 90: 245, 100: 273},
    60: {5: None, 10: 11, 15: 18, 20: 24, 25: 31, 30: 38, 40: 51, 50: 65,
         60: 79, 70: 93, 80: 107, 90: 121, 100: 135},
}  # fmt: skip


class LinkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mcs_index: int = Field(ge=0, le=28)
    mcs_table: Literal[1, 2] = 1
    num_prbs: int = Field(ge=1, le=275)
    subcarrier_spacing_khz: Literal[15, 30, 60] = 30
    bandwidth_mhz: Literal[5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100] = 40
    num_layers: int = Field(default=1, ge=1, le=4)
    num_tx_antennas: Literal[1, 2, 4] = 1
    num_rx_antennas: Literal[1, 2, 4, 8] = 1
    channel_estimator: Literal["perfect", "ls"] = "ls"
    detector: Literal["lmmse", "zf", "kbest"] = "lmmse"
    ldpc_iterations: int = Field(default=20, ge=1, le=50)
    harq_enabled: bool = False
    harq_max_retransmissions: int = Field(default=0, ge=0, le=4)


class ScenarioConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    channel_model: Literal["awgn", "tdl-a", "tdl-c", "cdl-a", "cdl-c"] = "awgn"
    snr_db: float = Field(ge=-10, le=40)
    ue_speed_mps: float = Field(default=0, ge=0, le=140)
    carrier_frequency_ghz: float = Field(default=3.5, ge=0.41, le=7.125)
    delay_spread_ns: float = Field(default=100, ge=10, le=1000)
    # The system state the plan must fit (RLDTF: "hardware parameters, real-time operational status").
    # The defaults constrain nothing, so plans and tasks written before these fields evaluate as they did.
    ue_antennas: Literal[1, 2, 4] = 4
    cell_antennas: Literal[1, 2, 4, 8] = 8
    free_prbs: int = Field(default=275, ge=1, le=275)
    measured_csi: bool = True
    max_ldpc_iterations: int = Field(default=50, ge=1, le=50)


def state_violations(link: LinkConfig, scenario: ScenarioConfig) -> list[str]:
    """Where a link asks for more than the system state of its scenario offers (empty: it fits)."""
    problems = []
    if link.num_tx_antennas > scenario.ue_antennas:
        problems.append(f"num_tx_antennas {link.num_tx_antennas} exceeds the UE's {scenario.ue_antennas} antennas")
    if link.num_rx_antennas > scenario.cell_antennas:
        problems.append(
            f"num_rx_antennas {link.num_rx_antennas} exceeds the {scenario.cell_antennas} antennas the cell can give"
        )
    if link.num_prbs > scenario.free_prbs:
        problems.append(f"num_prbs {link.num_prbs} exceeds the {scenario.free_prbs} PRBs free on the carrier")
    if link.channel_estimator == "perfect" and not scenario.measured_csi:
        problems.append("channel_estimator perfect needs measured channel knowledge, which this cell does not have")
    if link.ldpc_iterations > scenario.max_ldpc_iterations:
        problems.append(
            f"ldpc_iterations {link.ldpc_iterations} exceeds the decoder budget of {scenario.max_ldpc_iterations}"
        )
    return problems


def resource_share(link: LinkConfig, scenario: ScenarioConfig) -> float:
    """Share of the system state's resources a link takes, in [0, 1]: what eq. (2) charges as resource waste.

    The mean of three shares: PRBs of the free PRBs; antennas (UE transmit and cell receive) of those
    available; decoder work, LDPC iterations of the budget (K-best detection counts 1.5 times, capped at 1).
    """
    prbs = link.num_prbs / scenario.free_prbs
    antennas = 0.5 * (link.num_tx_antennas / scenario.ue_antennas + link.num_rx_antennas / scenario.cell_antennas)
    decoder = link.ldpc_iterations / scenario.max_ldpc_iterations * (1.5 if link.detector == "kbest" else 1.0)
    return (min(prbs, 1.0) + min(antennas, 1.0) + min(decoder, 1.0)) / 3.0


class Orchestration(BaseModel):
    """A plan the twin can execute; cross-field rules raise ValueError with a precise message."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    link: LinkConfig
    scenario: ScenarioConfig

    @model_validator(mode="after")
    def _check_consistency(self) -> Orchestration:
        link = self.link
        max_prbs = MAX_PRBS[link.subcarrier_spacing_khz][link.bandwidth_mhz]
        if max_prbs is None:
            raise ValueError(
                f"{link.bandwidth_mhz} MHz does not exist at {link.subcarrier_spacing_khz} kHz SCS "
                "(TS 38.101-1 Table 5.3.2-1)"
            )
        if link.num_prbs > max_prbs:
            raise ValueError(
                f"num_prbs {link.num_prbs} exceeds the {max_prbs} PRBs of {link.bandwidth_mhz} MHz at "
                f"{link.subcarrier_spacing_khz} kHz SCS (TS 38.101-1 Table 5.3.2-1)"
            )
        if link.mcs_table == 2 and link.mcs_index > 27:
            raise ValueError(f"mcs_index {link.mcs_index} is not in MCS table 2 (256QAM), which ends at 27")
        if link.num_layers > link.num_tx_antennas:
            raise ValueError(f"num_layers {link.num_layers} exceeds num_tx_antennas {link.num_tx_antennas}")
        if link.num_layers > link.num_rx_antennas:
            raise ValueError(f"num_layers {link.num_layers} exceeds num_rx_antennas {link.num_rx_antennas}")
        if link.harq_max_retransmissions > 0 and not link.harq_enabled:
            raise ValueError("harq_max_retransmissions > 0 needs harq_enabled = true")
        for problem in state_violations(link, self.scenario):
            raise ValueError(problem)
        return self

    def cache_key(self) -> str:
        """Content hash of the fully defaulted plan: equal plans share cached results."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class TwinResult(BaseModel):
    """What the twin measured for one orchestration."""

    model_config = ConfigDict(extra="forbid")

    fidelity: Literal["link", "system"]
    ber: float | None = Field(description="bit error rate after decoding (link level only)")
    bler: float = Field(ge=0, le=1, description="block error rate of one transmission attempt")
    residual_bler: float = Field(ge=0, le=1, description="BLER after HARQ retransmissions")
    throughput_mbps: float = Field(ge=0, description="goodput: delivered transport-block bits per second")
    latency_ms: float = Field(ge=0, description="expected delivery latency (see docs/TWIN.md for the model)")
    tbs_bits: int = Field(ge=0, description="transport block size (TS 38.214 §5.1.3.2)")
    slot_duration_ms: float
    code_rate: float
    modulation_order: int
    num_slots: int = Field(ge=0, description="slots simulated (0 for system level)")
    elapsed_s: float
    cache_hit: bool = False


def schema_document() -> dict[str, Any]:
    """The JSON Schema file shipped with the package."""
    return json.loads(resources.files("twin_bridge").joinpath("orchestration.schema.json").read_text())
