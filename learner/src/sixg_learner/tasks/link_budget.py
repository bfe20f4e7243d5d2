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

from sixg_learner.tasks.reward import DEFAULT_WEIGHTS
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

RULE_LDPC_ITERATIONS = 20
"""The rule's decoder (Sionna's default), within the task's decoder budget."""


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


def _fewest_prbs(task: Task, mcs: int, scs: int) -> tuple[int, float] | None:
    """The fewest PRBs (within the free ones and a 100 MHz carrier) whose one-layer transport blocks at `mcs` carry
    the task's throughput, and the rate they carry [Mbps]; None when even all of them fall short."""
    from twin_bridge import nr

    most_prbs = min(MAX_PRBS[scs][100] or 135, task.radio().free_prbs)
    slot_ms = nr.slot_duration_ms(scs)
    for n in range(1, most_prbs + 1):
        rate_mbps = nr.transport_block_size(1, mcs, n, 1) / slot_ms / 1e3
        if rate_mbps >= task.qos.min_throughput_mbps:
            return n, rate_mbps
    return None


def link_budget(task: Task) -> LinkBudget:
    scenario = task.radio()
    scs = 60 if task.qos.max_delay_ms < SHORT_DELAY_MS else DEFAULT_SCS_KHZ
    rx = min(RX_ANTENNAS, scenario.cell_antennas)
    margin = MARGIN_DB["awgn" if scenario.channel_model == "awgn" else "faded"]
    sinr_db = scenario.snr_db + 10 * math.log10(rx) - LS_LOSS_DB
    thresholds = mcs_thresholds_db(bler_target(task.qos.max_ber))
    usable = [m for m, t in thresholds.items() if t + margin <= sinr_db]
    mcs = max(usable) if usable else 3
    fit = _fewest_prbs(task, mcs, scs)
    prbs = fit[0] if fit else min(MAX_PRBS[scs][100] or 135, scenario.free_prbs)
    return LinkBudget(
        rx_antennas=rx, margin_db=margin, sinr_db=sinr_db, mcs_index=mcs, subcarrier_spacing_khz=scs, num_prbs=prbs
    )


@dataclass(frozen=True)
class LeanFit:
    """The budget's leanest plan: the MCS (at most the budget's) and PRBs whose rate lands nearest the need, with the
    SINR left over the MCS's threshold and the margin spent on fewer LDPC iterations."""

    mcs_index: int
    num_prbs: int
    throughput_mbps: float
    """What the transport blocks carry, one layer, before block errors."""
    spare_db: float
    """SINR above the MCS's threshold plus the margin (≥ 0): what fewer decoder iterations may cost."""
    ldpc_iterations: int
    """Fewest iterations whose SINR loss (the twin's documented 0.8 dB per halving below 20) fits `spare_db`,
    within the decoder budget."""


def ldpc_iterations_for(spare_db: float, budget: int) -> int:
    """Fewest LDPC iterations whose SINR loss fits `spare_db`, within the decoder `budget`.

    The loss is the twin's documented decoder model (twin_bridge.systemlevel, step 4: 0.8 dB per halving of the
    iterations below 20), the kind of figure a receiver's data sheet gives."""
    from twin_bridge.systemlevel import LDPC_LOSS_DB_PER_HALVING, LDPC_REFERENCE_ITERATIONS

    halvings = max(spare_db, 0.0) / LDPC_LOSS_DB_PER_HALVING
    return min(budget, max(1, math.ceil(LDPC_REFERENCE_ITERATIONS / 2**halvings - 1e-9)))


def lean_fit(task: Task, budget: LinkBudget | None = None) -> LeanFit:
    """Among the MCS up to the budget's, the plan whose waste eq. (2) charges and the budget can foresee is least.

    Why. The rule takes the highest MCS the margin allows and the fewest PRBs at it, so its rate overshoots
    the need by up to a PRB's worth, and it runs the decoder's whole budget. Those two wastes are most of
    what separates its answers from the twin's local optimum (session 21: on 150 training tasks the climb
    from the rule's plans cut throughput waste 0.100 → 0.024 and decoder waste 0.098 → 0.029 of eq. (2)).
    A lower MCS on one PRB more often lands nearer the need and leaves SINR that fewer iterations can spend.
    The estimate counts eq. (2)'s throughput waste (w₁⁺) and the PRB and decoder shares of its resource term
    (w₄⁺/3 each); delay and BER are left to the twin."""
    budget = budget or link_budget(task)
    scenario = task.radio()
    thresholds = mcs_thresholds_db(bler_target(task.qos.max_ber))
    need = task.qos.min_throughput_mbps
    weights = DEFAULT_WEIGHTS
    best: tuple[float, LeanFit] | None = None
    for mcs in range(min(thresholds), budget.mcs_index + 1):
        fit = _fewest_prbs(task, mcs, budget.subcarrier_spacing_khz)
        if fit is None:
            continue
        prbs, rate_mbps = fit
        spare = max(0.0, budget.sinr_db - thresholds[mcs] - budget.margin_db)
        iterations = ldpc_iterations_for(spare, scenario.max_ldpc_iterations)
        waste = weights.throughput_wastage * (rate_mbps - need) / rate_mbps + weights.resource_wastage / 3 * (
            min(1.0, prbs / scenario.free_prbs) + min(1.0, iterations / scenario.max_ldpc_iterations)
        )
        candidate = LeanFit(
            mcs_index=mcs, num_prbs=prbs, throughput_mbps=rate_mbps, spare_db=spare, ldpc_iterations=iterations
        )
        if best is None or waste < best[0] - 1e-12:
            best = (waste, candidate)
    if best is None:  # not even the budget's MCS carries the need: the budget's own plan, all the decoder
        return LeanFit(
            mcs_index=budget.mcs_index,
            num_prbs=budget.num_prbs,
            throughput_mbps=0.0,
            spare_db=max(0.0, budget.sinr_db - thresholds[budget.mcs_index] - budget.margin_db),
            ldpc_iterations=min(RULE_LDPC_ITERATIONS, scenario.max_ldpc_iterations),
        )
    return best[1]


def hint_text(budget: LinkBudget) -> str:
    """The budget as one line of the prompt."""
    return (
        f"Link budget: with {budget.rx_antennas} rx antennas and ls, SINR {budget.sinr_db:.1f} dB; "
        f"with a {budget.margin_db:g} dB margin that carries MCS {budget.mcs_index} (table 1), "
        f"and {budget.num_prbs} PRBs at {budget.subcarrier_spacing_khz} kHz carry the throughput at it."
    )


def lean_hint_text(budget: LinkBudget, fit: LeanFit) -> str:
    """The budget and its leanest plan as one line of the `lean` prompt (≤ 400 tokens with its system message)."""
    iterations = f"{fit.ldpc_iterations} LDPC iteration{'' if fit.ldpc_iterations == 1 else 's'}"
    return (
        f"Link budget: {budget.rx_antennas} rx antennas, ls: SINR {budget.sinr_db:.1f} dB; at a "
        f"{budget.margin_db:g} dB margin, MCS {fit.mcs_index} on {fit.num_prbs} PRBs at "
        f"{budget.subcarrier_spacing_khz} kHz with {iterations} is leanest ({fit.spare_db:.1f} dB spare)."
    )


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


def lean_rule_link(task: Task) -> LinkConfig:
    """The lean rule (`--model lean-rule`): the rule's plan with the budget's leanest MCS, PRBs and LDPC iterations
    (`lean_fit`). Still no twin in the loop: the TBS table, the AWGN thresholds and the decoder's loss figure."""
    budget = link_budget(task)
    fit = lean_fit(task, budget)
    scs = budget.subcarrier_spacing_khz
    return rule_link(task).model_copy(
        update={
            "mcs_index": fit.mcs_index,
            "num_prbs": fit.num_prbs,
            "bandwidth_mhz": _carrier_for(fit.num_prbs, scs) or 100,
            "ldpc_iterations": fit.ldpc_iterations,
        }
    )
