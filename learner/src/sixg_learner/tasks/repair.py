"""The nearest plan that meets a task's QoS: a failed answer repaired by the fewest edits the twin confirms.

Why. Distilling the grid's witness (training/distill.py) asks the model to write a plan unlike its
own, on the edge of feasibility; imitated imprecisely, it fails (docs/RLDTF.md, session 10). A
repaired answer keeps everything the model chose except what made it fail: one or two *edit groups*
changed (the MCS, the PRBs, the carrier, the antennas, the channel estimator, the detector, the
decoder's iterations, HARQ). SFT on such targets moves the model only where the twin says it was
wrong, in its own style.

The search is exhaustive over the neighbourhood and exact on the twin: every plan one group away
from the answer, then every plan two groups away, each valid for the task's cell state, run at system
level in one vectorised call. The nearest satisfying plans win; among them, the highest eq. (2)
reward (the leanest). With `margin_db` > 0 the plan must meet the QoS at the task's SNR lowered by
that margin too, so an imprecise imitation of the target still meets it. When nothing within two
groups does, the caller falls back to the task's witness.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from twin_bridge.orchestration import MAX_PRBS, LinkConfig, Orchestration, ScenarioConfig

from sixg_learner.tasks.generate import witness_of
from sixg_learner.tasks.reward import judge
from sixg_learner.tasks.scoring import PlanEvaluator, system_level_evaluator
from sixg_learner.tasks.task import FeasibilityWitness, Task

Edit = dict[str, Any]
"""A group's new field values, e.g. {"mcs_index": 9, "mcs_table": 1}."""

_PRB_LADDER = (1, 2, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 160, 192, 217, 245, 273, 275)
_PRB_FACTORS = (0.5, 0.67, 0.8, 1.25, 1.5, 2.0, 3.0, 4.0)
_LDPC_ITERATIONS = (1, 2, 3, 5, 8, 10, 15, 20, 25, 30, 40, 50)


def _mcs_edits(link: LinkConfig, scenario: ScenarioConfig) -> list[Edit]:
    # the indices the system-level twin has BLER curves for (table 1: 3..28, table 2: 2..27); one
    # outside them would make the whole vectorised call fall back to plan-by-plan evaluation
    return [{"mcs_table": 1, "mcs_index": i} for i in range(3, 29)] + [
        {"mcs_table": 2, "mcs_index": i} for i in range(2, 28)
    ]


def _prb_edits(link: LinkConfig, scenario: ScenarioConfig) -> list[Edit]:
    values = set(_PRB_LADDER) | {round(link.num_prbs * f) for f in _PRB_FACTORS} | {scenario.free_prbs}
    return [{"num_prbs": p} for p in sorted(values) if 1 <= p <= scenario.free_prbs]


def _carrier_edits(link: LinkConfig, scenario: ScenarioConfig) -> list[Edit]:
    return [
        {"subcarrier_spacing_khz": scs, "bandwidth_mhz": bw}
        for scs, carriers in MAX_PRBS.items()
        for bw, most in carriers.items()
        if most is not None
    ]


def _antenna_edits(link: LinkConfig, scenario: ScenarioConfig) -> list[Edit]:
    return [
        {"num_layers": layers, "num_tx_antennas": tx, "num_rx_antennas": rx}
        for tx in (1, 2, 4)
        for rx in (1, 2, 4, 8)
        for layers in range(1, min(tx, rx) + 1)
        if tx <= scenario.ue_antennas and rx <= scenario.cell_antennas
    ]


def _estimator_edits(link: LinkConfig, scenario: ScenarioConfig) -> list[Edit]:
    return [{"channel_estimator": e} for e in ("perfect", "ls")]


def _detector_edits(link: LinkConfig, scenario: ScenarioConfig) -> list[Edit]:
    return [{"detector": d} for d in ("lmmse", "zf", "kbest")]


def _ldpc_edits(link: LinkConfig, scenario: ScenarioConfig) -> list[Edit]:
    return [{"ldpc_iterations": n} for n in _LDPC_ITERATIONS if n <= scenario.max_ldpc_iterations]


def _harq_edits(link: LinkConfig, scenario: ScenarioConfig) -> list[Edit]:
    return [{"harq_enabled": False, "harq_max_retransmissions": 0}] + [
        {"harq_enabled": True, "harq_max_retransmissions": n} for n in range(5)
    ]


EDIT_GROUPS: dict[str, Callable[[LinkConfig, ScenarioConfig], list[Edit]]] = {
    "mcs": _mcs_edits,
    "prbs": _prb_edits,
    "carrier": _carrier_edits,
    "antennas": _antenna_edits,
    "estimator": _estimator_edits,
    "detector": _detector_edits,
    "ldpc": _ldpc_edits,
    "harq": _harq_edits,
}
"""The parts of a link a repair may change, each with the values it may take in the task's state."""


def neighbours(link: LinkConfig, scenario: ScenarioConfig, groups: int) -> Iterator[LinkConfig]:
    """Every distinct link that differs from `link` in exactly `groups` edit groups (each group changed).

    Links the schema rejects are left out here; the cross-field and state rules are checked where the
    plan is built (`repair`)."""
    options = {name: make(link, scenario) for name, make in EDIT_GROUPS.items()}
    base = link.model_dump()
    seen = {link.model_dump_json()}
    for names in combinations(EDIT_GROUPS, groups):
        for edits in _product([options[n] for n in names]):
            if any(all(edit[k] == base[k] for k in edit) for edit in edits):
                continue  # a group left as it was: that link is fewer groups away
            values = dict(base)
            for edit in edits:
                values.update(edit)
            try:
                candidate = LinkConfig(**values)
            except ValueError:
                continue
            key = candidate.model_dump_json()
            if key not in seen:
                seen.add(key)
                yield candidate


def changed_groups(a: LinkConfig, b: LinkConfig, scenario: ScenarioConfig) -> tuple[str, ...]:
    """The names of the edit groups in which two links differ."""
    return tuple(
        name
        for name, make in EDIT_GROUPS.items()
        if any(getattr(a, key) != getattr(b, key) for key in make(a, scenario)[0])
    )


def _product(lists: Sequence[list[Edit]]) -> Iterator[tuple[Edit, ...]]:
    if not lists:
        yield ()
        return
    for head in lists[0]:
        for rest in _product(lists[1:]):
            yield (head, *rest)


@dataclass(frozen=True)
class _Found:
    """A plan a search on the twin found, as a witness (its link and what the twin measured at the task's SNR)."""

    witness: FeasibilityWitness

    @property
    def link(self) -> LinkConfig:
        return self.witness.link

    @property
    def reward(self) -> float:
        return self.witness.reward


@dataclass(frozen=True)
class Repair(_Found):
    """The repaired plan, how many edit groups it changed, and which."""

    groups: int
    changed: tuple[str, ...]
    """The edit groups that differ from the answer, by name (`EDIT_GROUPS`)."""


@dataclass(frozen=True)
class Climb(_Found):
    """Where a steepest ascent on eq. (2) from a satisfying plan ended, after how many moves."""

    start_reward: float
    moves: int
    changed: tuple[str, ...]
    """The edit groups in which the end differs from the start, by name (`EDIT_GROUPS`)."""


def _satisfying_neighbours(
    task: Task, link: LinkConfig, groups: Sequence[int], evaluate_plans: PlanEvaluator
) -> list[FeasibilityWitness]:
    """The links `groups` edit groups away from `link`, valid in the task's state, that meet its QoS on the twin."""
    scenario = task.radio()
    plans = []
    for distance in groups:
        for candidate in neighbours(link, scenario, distance):
            try:
                plans.append(Orchestration(link=candidate, scenario=scenario))
            except ValueError:
                continue  # outside the task's state
    if not plans:
        return []
    found = []
    for plan, result in zip(plans, evaluate_plans(plans), strict=True):
        if result is None:
            continue
        verdict = judge(result, plan, task.requirement())
        if verdict.satisfied:
            found.append(witness_of(plan, result, verdict))
    return found


def _with_margin(
    task: Task, found: list[FeasibilityWitness], margin_db: float, evaluate_plans: PlanEvaluator
) -> list[FeasibilityWitness]:
    """Those of `found` that meet the task's QoS at its SNR lowered by `margin_db` too (all of them at 0)."""
    if margin_db <= 0 or not found:
        return found
    scenario = task.radio()
    pessimistic = scenario.model_copy(update={"snr_db": scenario.snr_db - margin_db})
    checks = [Orchestration(link=w.link, scenario=pessimistic) for w in found]
    return [
        w
        for w, check, result in zip(found, checks, evaluate_plans(checks), strict=True)
        if result is not None and judge(result, check, task.requirement()).satisfied
    ]


def repair(
    task: Task,
    link: LinkConfig,
    margin_db: float = 0.0,
    evaluate_plans: PlanEvaluator = system_level_evaluator,
    max_groups: int = 2,
) -> Repair | None:
    """The link nearest `link` (fewest edit groups, then highest reward) meeting the task's QoS at its SNR and,
    with `margin_db` > 0, at SNR − `margin_db`; None when nothing within `max_groups` groups does.

    The search widens one group at a time and stops at the first distance with a satisfying plan; the
    pessimistic SNR is checked only for those."""
    for groups in range(1, max_groups + 1):
        found = _with_margin(
            task, _satisfying_neighbours(task, link, [groups], evaluate_plans), margin_db, evaluate_plans
        )
        if found:
            best = max(found, key=lambda w: w.reward)
            return Repair(witness=best, groups=groups, changed=changed_groups(link, best.link, task.radio()))
    return None


def climb(
    task: Task,
    start: FeasibilityWitness,
    groups: int = 1,
    max_moves: int = 30,
    margin_db: float = 0.0,
    evaluate_plans: PlanEvaluator = system_level_evaluator,
) -> Climb:
    """Steepest ascent on eq. (2) from `start` (a plan meeting the task's QoS) among the plans that meet it too.

    Each move changes up to `groups` edit groups and takes the neighbour of highest reward; it stops at a
    local optimum or after `max_moves`. With `margin_db` > 0 a move must also meet the QoS at the task's
    SNR lowered by that margin, so the end stays off the edge of feasibility. Used to read how high a
    task's score can go (`evaluation/ceiling.py`) and to trim a model's own working answers into leaner
    targets (`training/distill.py`, `targets="polish"`)."""
    current, moves = start, 0
    while moves < max_moves:
        better = [
            w
            for w in _satisfying_neighbours(task, current.link, range(1, groups + 1), evaluate_plans)
            if w.reward > current.reward + 1e-9
        ]
        better.sort(key=lambda w: w.reward, reverse=True)
        held = _with_margin(task, better, margin_db, evaluate_plans)  # keeps the order: the best that holds
        chosen = held[0] if held else None
        if chosen is None:
            break
        current, moves = chosen, moves + 1
    return Climb(
        witness=current,
        start_reward=start.reward,
        moves=moves,
        changed=changed_groups(start.link, current.link, task.radio()),
    )
