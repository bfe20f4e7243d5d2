"""The nearest satisfying repair of a failed answer (tasks/repair.py), on the real system-level twin.

The neighbourhood changes exactly the number of edit groups asked for and stays inside the task's
cell state; a broken witness is repaired into a plan the twin confirms, at the least distance; a
margin is honoured at the lowered SNR; and nothing is returned when nothing near satisfies.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sixg_learner.tasks.repair import EDIT_GROUPS, neighbours, repair
from sixg_learner.tasks.reward import judge
from sixg_learner.tasks.scoring import system_level_evaluator
from sixg_learner.tasks.task import Task, load_tasks
from twin_bridge.orchestration import LinkConfig, Orchestration, state_violations

TRAIN_TASKS = Path(__file__).resolve().parents[1] / "data" / "train" / "tasks-1a94344d2007.jsonl"


@pytest.fixture(scope="module")
def tasks() -> list[Task]:
    return load_tasks(TRAIN_TASKS)[:6]


def _groups_changed(a: LinkConfig, b: LinkConfig, tasks: list[Task]) -> int:
    scenario = tasks[0].radio()
    changed = 0
    for make in EDIT_GROUPS.values():
        keys = make(a, scenario)[0].keys()
        changed += any(getattr(a, k) != getattr(b, k) for k in keys)
    return changed


def _satisfies(task: Task, link: LinkConfig, snr_offset_db: float = 0.0) -> bool:
    scenario = task.radio()
    scenario = scenario.model_copy(update={"snr_db": scenario.snr_db + snr_offset_db})
    plan = Orchestration(link=link, scenario=scenario)
    result = system_level_evaluator([plan])[0]
    return result is not None and judge(result, plan, task.requirement()).satisfied


def test_neighbours_change_exactly_the_groups_asked_for(tasks: list[Task]) -> None:
    task = tasks[0]
    assert task.witness is not None
    link = task.witness.link
    one = list(neighbours(link, task.radio(), 1))
    assert one and all(_groups_changed(link, other, tasks) == 1 for other in one)
    assert link.model_copy(update={"mcs_index": link.mcs_index - 1}) in one or link.mcs_index <= 3
    two = list(neighbours(link, task.radio(), 2))
    assert len(two) > len(one)
    assert all(_groups_changed(link, other, tasks) == 2 for other in two[:: max(1, len(two) // 200)])
    assert not {o.model_dump_json() for o in one} & {t.model_dump_json() for t in two}
    # antennas and PRBs never exceed the cell's state
    for other in one + two[:: max(1, len(two) // 500)]:
        violations = state_violations(other, task.radio())
        assert not [v for v in violations if "antennas" in v or "PRBs" in v]


def test_a_broken_witness_is_repaired_at_the_least_distance(tasks: list[Task]) -> None:
    repaired = 0
    for task in tasks:
        assert task.witness is not None
        good = task.witness.link
        broken = good.model_copy(update={"num_prbs": max(1, good.num_prbs // 4)})
        if _satisfies(task, broken):
            continue
        fixed = repair(task, broken)
        assert fixed is not None
        assert _satisfies(task, fixed.link)
        assert fixed.groups == _groups_changed(broken, fixed.link, tasks) <= 2
        # one group (the PRBs back) is always enough here, so the search must not go further
        assert fixed.groups == 1 and len(fixed.changed) == 1
        repaired += 1
    assert repaired >= 3


def test_a_margin_is_met_at_the_lowered_snr(tasks: list[Task]) -> None:
    task = tasks[1]
    assert task.witness is not None
    broken = task.witness.link.model_copy(update={"num_prbs": 1})
    fixed = repair(task, broken, margin_db=3.0)
    assert fixed is not None
    assert _satisfies(task, fixed.link) and _satisfies(task, fixed.link, -3.0)


def test_nothing_is_returned_when_no_neighbour_satisfies(tasks: list[Task]) -> None:
    task = tasks[0]
    assert task.witness is not None
    assert repair(task, task.witness.link, evaluate_plans=lambda plans: [None] * len(plans)) is None
