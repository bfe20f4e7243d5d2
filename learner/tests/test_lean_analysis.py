"""`sixg:lean-analysis`: eq. (2)'s terms add up, the climb never adds waste it was meant to remove, and the
pairing of two reports counts what it claims."""

from __future__ import annotations

import json

import pytest
from sixg_learner.evaluation.lean_analysis import TERMS, pair, waste, waste_terms
from sixg_learner.files import repository_root
from sixg_learner.tasks.link_budget import rule_link
from sixg_learner.tasks.reward import DEFAULT_WEIGHTS, judge
from sixg_learner.tasks.scoring import system_level_evaluator
from sixg_learner.tasks.task import load_tasks
from twin_bridge.orchestration import Orchestration

TRAIN = repository_root() / "learner/data/train/tasks-4d5b499080ac.jsonl"


def test_the_weighted_wastes_and_the_score_sum_to_the_satisfied_base() -> None:
    checked = 0
    for task in load_tasks(TRAIN)[:12]:
        plan = Orchestration(link=rule_link(task), scenario=task.radio())
        verdict = judge(system_level_evaluator([plan])[0], plan, task.requirement())
        if not verdict.satisfied:
            continue
        terms = waste_terms(task, plan.link, verdict)
        assert set(terms) == set(TERMS)
        assert verdict.reward + sum(terms.values()) == pytest.approx(DEFAULT_WEIGHTS.base_satisfied)
        checked += 1
    assert checked >= 3, "the rule meets the QoS on some of these tasks"


def test_the_climb_from_the_rules_plans_scores_higher() -> None:
    report = waste(load_tasks(TRAIN)[:8])
    assert report["rule_satisfied"] >= 1
    assert report["climbed"]["score"] >= report["rule"]["score"]
    for name in ("rule", "climbed"):
        total = report[name]["score"] + sum(report[name][t] for t in TERMS)
        assert total == pytest.approx(1.0)


def _record(task_id: str, fulfilled: bool, score: float, link: dict[str, object]) -> dict[str, object]:
    return {"task_id": task_id, "fulfilled": fulfilled, "score": score, "raw_output": json.dumps(link)}


def test_pairing_counts_discordant_tasks_and_changed_fields() -> None:
    rule = {"records": [_record("a", True, 0.6, {"mcs_index": 5, "ldpc_iterations": 20}),
                        _record("b", False, -0.3, {"mcs_index": 7, "ldpc_iterations": 20}),
                        _record("c", True, 0.7, {"mcs_index": 9, "ldpc_iterations": 4})]}  # fmt: skip
    model = {"records": [_record("a", True, 0.65, {"mcs_index": 5, "ldpc_iterations": 10}),
                         _record("b", True, 0.5, {"mcs_index": 6, "ldpc_iterations": 20}),
                         _record("c", True, 0.7, {"mcs_index": 9, "ldpc_iterations": 4})]}  # fmt: skip
    report = pair(model, rule)
    assert (report["both_completed"], report["only_model"], report["only_rule"]) == (2, 1, 0)
    assert report["paired_score_diff"] == pytest.approx(0.025)
    assert report["answers_equal_to_rule"] == 1
    assert report["fields_changed"] == {"ldpc_iterations": 1, "mcs_index": 1}
    with pytest.raises(ValueError, match="not on the same tasks"):
        pair({"records": model["records"][:2]}, rule)
