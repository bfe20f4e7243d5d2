"""Intervals and paired tests of the evaluation comparison."""

from __future__ import annotations

import pytest
from sixg_learner.evaluation.compare import (
    best_of,
    bootstrap_mean_interval,
    mcnemar_exact_p,
    model_row,
    paired,
    wilson_interval,
)


def _report(outcomes: list[tuple[str, bool, float, str]]) -> dict:
    return {
        "tasks_sha256": "x",
        "records": [{"task_id": t, "fulfilled": f, "score": s, "raw_output": o} for t, f, s, o in outcomes],
    }


def test_wilson_interval_matches_the_textbook_values_and_stays_inside_0_1() -> None:
    lo, hi = wilson_interval(136, 200)
    assert lo == pytest.approx(0.6125, abs=1e-3) and hi == pytest.approx(0.7407, abs=1e-3)
    assert wilson_interval(0, 50)[0] == pytest.approx(0.0, abs=1e-12) and wilson_interval(50, 50)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_mcnemar_exact_p() -> None:
    assert mcnemar_exact_p(0, 0) == 1.0
    assert mcnemar_exact_p(5, 5) == 1.0
    assert mcnemar_exact_p(10, 0) == pytest.approx(2 / 2**10)
    assert mcnemar_exact_p(98, 11) < 1e-15 and mcnemar_exact_p(37, 31) > 0.5


def test_rows_and_pairs_from_reports() -> None:
    a = _report([("t1", True, 0.8, "p"), ("t2", True, 0.6, "q"), ("t3", False, -0.5, "p")])
    b = _report([("t1", False, -0.4, "p"), ("t2", True, 0.5, "p"), ("t3", False, -0.6, "p")])
    row = model_row("a", a)
    assert row.completed == 2 and row.completion == pytest.approx(2 / 3) and row.distinct_plans == 2
    assert row.avg_score_completed == pytest.approx(0.7)
    test = paired("a", a, "b", b)
    assert (test.only_better, test.only_worse, test.tasks) == (1, 0, 3)
    assert test.difference == pytest.approx(1 / 3)
    interval = bootstrap_mean_interval([0.8, 0.6])
    assert interval is not None and 0.6 <= interval[0] <= interval[1] <= 0.8


def test_best_of_takes_the_first_answer_that_meets_the_qos_else_the_last() -> None:
    greedy = _report([("t1", True, 0.8, "g1"), ("t2", False, -0.4, "g2"), ("t3", False, -0.5, "g3")])
    sample = _report([("t1", True, 0.9, "s1"), ("t2", True, 0.3, "s2"), ("t3", False, -0.2, "s3")])
    merged = best_of([greedy, sample])
    chosen = {r["task_id"]: (r["fulfilled"], r["score"], r["raw_output"]) for r in merged["records"]}
    # t1: the greedy answer already met the QoS, so the better-scoring sample is never asked for
    assert chosen == {"t1": (True, 0.8, "g1"), "t2": (True, 0.3, "s2"), "t3": (False, -0.2, "s3")}
    assert merged["best_of"] == 2 and model_row("k2", merged).completed == 2
    with pytest.raises(ValueError, match="same tasks"):
        best_of([greedy, _report([("t1", True, 0.1, "x")])])
