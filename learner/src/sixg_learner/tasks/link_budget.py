"""A radio engineer's link budget for a task: the MCS its SNR carries with a margin, and the PRBs that
carry its throughput at that MCS.

Why it is here. The hand rule (`evaluation/baselines.py`) is this budget plus fixed choices for the
other fields, and it completes about two thirds of the tasks. The 6G-LLM (135M parameters, trained
on a few hundred tasks) never learned the SNR → MCS mapping from the prompt's numbers: the shipped
PPO model writes MCS 4 in every answer (docs/RLDTF.md, session 11). With the budget written in the
prompt (`prompting.build_messages(task, "link-budget")`) the model reads the mapping instead of having
to compute it from a BLER curve it has never seen, and what it has to learn from the twin is the
rest: when the budget's margin is too thin or too thick for the task's fading, mobility and
antennas, and which carrier, antennas and estimator go with it.

The numbers come from the twin's own AWGN BLER curves (the system-level model, at the task's BER
bound rounded down to a decade), a textbook margin (2 dB on AWGN, 6 dB on a fading channel), the
receive antennas the rule takes (up to 4) and the 1 dB LS-estimation loss the twin documents. The
constants were set on the training tasks, never on the evaluation tasks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from twin_bridge.orchestration import MAX_PRBS, LinkConfig, Orchestration, ScenarioConfig

from sixg_learner.tasks.task import Task

MARGIN_DB = {"awgn": 2.0, "faded": 6.0}
"""SINR margin above the MCS's threshold: a textbook fading margin, not the twin's model."""

RX_ANTENNAS = 4
"""Receive antennas the budget assumes (fewer when the cell has fewer)."""

LS_LOSS_DB = 1.0
"""The SINR LS channel estimation costs at system level, as the twin documents."""

SHORT_DELAY_MS = 1.5
"""Below this delay budget the budget takes 60 kHz (shorter slots), else `DEFAULT_SCS_KHZ`."""

DEFAULT_SCS_KHZ = 30


@lru_cache(maxsize=8)
def mcs_thresholds_db(bler_target: float) -> dict[int, float]:
    """Table-1 MCS index → the lowest SINR [dB] (0.25 dB steps) where the twin's AWGN BLER is ≤ `bler_target`."""
    from twin_bridge.systemlevel import evaluate_system_level_batch

    grid = [x / 4 for x in range(-40, 161)]  # −10 … 40 dB
    thresholds: dict[int, float] = {}
    for mcs in range(3, 29):
        link = LinkConfig(mcs_index=mcs, num_prbs=50, channel_estimator="perfect", num_rx_antennas=1)
        plans = [Orchestration(link=link, scenario=ScenarioConfig(snr_db=s)) for s in grid]
        results = evaluate_system_level_batch(plans)
        passing = [s for s, r in zip(grid, results, strict=True) if r.bler <= bler_target]
        thresholds[mcs] = min(passing) if passing else math.inf
    return thresholds


def bler_target(max_ber: float) -> float:
    """The task's BER bound rounded down to a decade (the BLER stands in for the BER at system level)."""
    return 10.0 ** math.floor(math.log10(max_ber))


@dataclass(frozen=True)
class LinkBudget:
    """What the budget says for one task."""

    rx_antennas: int
    margin_db: float
    sinr_db: float
    """SNR + receive-array gain − the LS loss, before the margin."""
    mcs_index: int
    """Highest table-1 MCS whose threshold plus the margin fits `sinr_db` (3 when none does)."""
    subcarrier_spacing_khz: int
    num_prbs: int
    """Fewest PRBs at `subcarrier_spacing_khz` that carry the throughput at `mcs_index`, one layer (all the
    free ones, or a full 100 MHz carrier, when none does)."""


def link_budget(task: Task) -> LinkBudget:
    from twin_bridge import nr

    scenario = task.radio()
    scs = 60 if task.qos.max_delay_ms < SHORT_DELAY_MS else DEFAULT_SCS_KHZ
    rx = min(RX_ANTENNAS, scenario.cell_antennas)
    margin = MARGIN_DB["awgn" if scenario.channel_model == "awgn" else "faded"]
    sinr_db = scenario.snr_db + 10 * math.log10(rx) - LS_LOSS_DB
    thresholds = mcs_thresholds_db(bler_target(task.qos.max_ber))
    usable = [m for m, t in thresholds.items() if t + margin <= sinr_db]
    mcs = max(usable) if usable else 3
    most_prbs = min(MAX_PRBS[scs][100] or 135, scenario.free_prbs)
    slot_ms = nr.slot_duration_ms(scs)
    prbs = most_prbs
    for n in range(1, most_prbs + 1):
        if nr.transport_block_size(1, mcs, n, 1) / slot_ms / 1e3 >= task.qos.min_throughput_mbps:
            prbs = n
            break
    return LinkBudget(
        rx_antennas=rx, margin_db=margin, sinr_db=sinr_db, mcs_index=mcs, subcarrier_spacing_khz=scs, num_prbs=prbs
    )


def hint_text(budget: LinkBudget) -> str:
    """The budget as one line of the prompt."""
    return (
        f"Link budget: with {budget.rx_antennas} rx antennas and ls, SINR {budget.sinr_db:.1f} dB; "
        f"with a {budget.margin_db:g} dB margin that carries MCS {budget.mcs_index} (table 1), "
        f"and {budget.num_prbs} PRBs at {budget.subcarrier_spacing_khz} kHz carry the throughput at it."
    )


RULE_LDPC_ITERATIONS = 20


def _carrier_for(prbs: int, scs: int) -> int | None:
    """The narrowest bandwidth at `scs` that carries `prbs` PRBs."""
    fitting = [bw for bw, most in MAX_PRBS[scs].items() if most is not None and most >= prbs]
    return min(fitting) if fitting else None


def rule_link(task: Task) -> LinkConfig:
    """The hand rule (`--model rule`, evaluation/baselines.py): the budget, and fixed choices for the rest
    (one layer, LS estimation, LMMSE, 20 LDPC iterations within the decoder budget, no HARQ)."""
    budget = link_budget(task)
    return LinkConfig(
        mcs_index=budget.mcs_index,
        mcs_table=1,
        num_prbs=budget.num_prbs,
        subcarrier_spacing_khz=budget.subcarrier_spacing_khz,  # type: ignore[arg-type]
        bandwidth_mhz=_carrier_for(budget.num_prbs, budget.subcarrier_spacing_khz) or 100,  # type: ignore[arg-type]
        num_layers=1,
        num_tx_antennas=1,
        num_rx_antennas=budget.rx_antennas,  # type: ignore[arg-type]
        channel_estimator="ls",
        detector="lmmse",
        ldpc_iterations=min(RULE_LDPC_ITERATIONS, task.radio().max_ldpc_iterations),
        harq_enabled=False,
        harq_max_retransmissions=0,
    )
