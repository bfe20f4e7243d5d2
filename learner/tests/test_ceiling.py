"""The score ceiling (evaluation/ceiling.py): climbing from a witness on the real system-level twin.

The climb never ends below where it started, ends on a plan that still meets the task's QoS with the
reward it reports, and stops at a local optimum: no single-group move from its plan scores higher.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sixg_learner.evaluation.ceiling import main
from sixg_learner.tasks.repair import climb, neighbours
from sixg_learner.tasks.reward import judge
from sixg_learner.tasks.scoring import system_level_evaluator
from sixg_learner.tasks.task import Task, load_tasks
from twin_bridge.orchestration import Orchestration

TRAIN_TASKS = Path(__file__).resolve().parents[1] / "data" / "train" / "tasks-1a94344d2007.jsonl"


@pytest.fixture(scope="module")
def tasks() -> list[Task]:
    return load_tasks(TRAIN_TASKS)[:4]


def _verdict(task: Task, plan: Orchestration):  # noqa: ANN202 - the judge's Verdict
    result = system_level_evaluator([plan])[0]
    assert result is not None
    return judge(result, plan, task.requirement())


def test_the_climb_ends_at_a_satisfying_local_optimum_no_worse_than_the_witness(tasks: list[Task]) -> None:
    for task in tasks:
        assert task.witness is not None
        top = climb(task, task.witness)
        assert top.reward >= task.witness.reward
        verdict = _verdict(task, Orchestration(link=top.link, scenario=task.radio()))
        assert verdict.satisfied and verdict.reward == pytest.approx(top.reward)
        plans = []
        for candidate in neighbours(top.link, task.radio(), 1):
            try:
                plans.append(Orchestration(link=candidate, scenario=task.radio()))
            except ValueError:
                continue
        for plan, result in zip(plans, system_level_evaluator(plans), strict=True):
            if result is not None:
                v = judge(result, plan, task.requirement())
                assert not (v.satisfied and v.reward > top.reward + 1e-9)


def test_the_report_reads_an_evaluation_against_the_ceiling_of_its_completed_tasks(
    tasks: list[Task], tmp_path: Path
) -> None:
    task_file = tmp_path / "tasks.jsonl"
    task_file.write_text("".join(t.model_dump_json() + "\n" for t in tasks))
    records = [{"task_id": t.id, "fulfilled": i % 2 == 0, "score": 0.25} for i, t in enumerate(tasks)]
    evaluation = tmp_path / "eval.json"
    evaluation.write_text(json.dumps({"records": records}))
    out = tmp_path / "ceiling.json"
    assert main(["--tasks", str(task_file), "--evaluation", str(evaluation), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["tasks"] == len(tasks)
    assert report["ceiling_mean"] >= report["witness_mean"]
    row = report["evaluations"][0]
    assert row["completed"] == (len(tasks) + 1) // 2 and row["average_score_completed"] == pytest.approx(0.25)
    assert 0 < row["share_of_ceiling"] < 1


def test_climbing_the_answers_reports_what_one_move_would_have_added(tasks: list[Task], tmp_path: Path) -> None:
    task_file = tmp_path / "tasks.jsonl"
    task_file.write_text("".join(t.model_dump_json() + "\n" for t in tasks))
    records = []
    for t in tasks:
        assert t.witness is not None
        link = t.witness.link.model_dump(mode="json")
        records.append({"task_id": t.id, "fulfilled": True, "score": t.witness.reward, "orchestration": {"link": link}})
    evaluation = tmp_path / "eval.json"
    evaluation.write_text(json.dumps({"records": records}))
    out = tmp_path / "ceiling.json"
    main(["--tasks", str(task_file), "--evaluation", str(evaluation), "--answer-moves", "1", "--out", str(out)])
    report = json.loads(out.read_text())
    climbed = report["evaluations"][0]["answers_climbed"]
    witness_mean = sum(t.witness.reward for t in tasks if t.witness) / len(tasks)
    # one move from the witness is the climb's first move: between the start and the full climb
    assert witness_mean - 1e-9 <= climbed["average_score_after"] <= report["ceiling_mean"] + 1e-9
    assert sum(climbed["groups_changed"].values()) >= 1, "the grid's witnesses are not all local optima"
