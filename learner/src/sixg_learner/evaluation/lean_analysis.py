"""`npm run sixg:lean-analysis`: where the rule's score goes, and how the lean rule and a model compare to it.

Session 21's figures, reproducible (docs/RLDTF.md, "Measured (session 21)"):

- `waste`: on the first N tasks of a (training) file, eq. (2)'s satisfied branch split into its weighted terms
  for the rule's plans that meet the QoS and for the twin's local optimum climbed from them (the serving trim's
  climb: `repair.climb`, up to `DEFAULT_REFINE_MOVES` moves, `REFINE_MARGIN_DB`). The terms and the score sum
  to R⁺_base, so the table says which waste the climb removes.
- `trim`: the lean rule's plans with the same climb, what the served path's trim adds to a rule with no model.
- `pair`: a model's report against the lean rule's (both `sixg:eval` reports on the same tasks): the paired
  score on the tasks both complete, with a bootstrap interval, and which fields the model's answers change.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twin_bridge.orchestration import LinkConfig, Orchestration

from sixg_learner.serving.orchestrate import DEFAULT_REFINE_MOVES, REFINE_MARGIN_DB
from sixg_learner.tasks.generate import witness_of
from sixg_learner.tasks.link_budget import lean_rule_link, rule_link
from sixg_learner.tasks.repair import climb
from sixg_learner.tasks.reward import DEFAULT_WEIGHTS, Verdict, judge
from sixg_learner.tasks.scoring import PlanEvaluator, system_level_evaluator
from sixg_learner.tasks.task import Task, load_tasks

TERMS = ("throughput", "delay", "ber", "prbs", "antennas", "decoder")


def waste_terms(task: Task, link: LinkConfig, verdict: Verdict) -> dict[str, float]:
    """Eq. (2)'s weighted wastes of a plan that meets the QoS; with its reward they sum to R⁺_base."""
    achieved, need, scenario, w = verdict.achieved, task.requirement(), task.radio(), DEFAULT_WEIGHTS
    shares = {
        "prbs": min(1.0, link.num_prbs / scenario.free_prbs),
        "antennas": min(
            1.0, 0.5 * (link.num_tx_antennas / scenario.ue_antennas + link.num_rx_antennas / scenario.cell_antennas)
        ),
        "decoder": min(
            1.0, link.ldpc_iterations / scenario.max_ldpc_iterations * (1.5 if link.detector == "kbest" else 1.0)
        ),
    }
    thr = achieved.throughput_mbps
    return {
        "throughput": w.throughput_wastage * (thr - need.min_throughput_mbps) / thr,
        "delay": w.latency_wastage * (need.max_latency_ms - achieved.latency_ms) / need.max_latency_ms,
        "ber": w.ber_wastage * (need.max_ber - achieved.ber) / need.max_ber,
        **{name: w.resource_wastage / 3 * share for name, share in shares.items()},
    }


def _run(task: Task, link: LinkConfig, evaluate_plans: PlanEvaluator) -> tuple[Orchestration, Any, Verdict] | None:
    plan = Orchestration(link=link, scenario=task.radio())
    result = evaluate_plans([plan])[0]
    return None if result is None else (plan, result, judge(result, plan, task.requirement()))


def _trimmed(task: Task, run: tuple[Orchestration, Any, Verdict], evaluate_plans: PlanEvaluator) -> LinkConfig:
    plan, result, verdict = run
    end = climb(
        task,
        witness_of(plan, result, verdict),
        max_moves=DEFAULT_REFINE_MOVES,
        margin_db=REFINE_MARGIN_DB,
        evaluate_plans=evaluate_plans,
    )
    return end.witness.link


def waste(tasks: Sequence[Task], evaluate_plans: PlanEvaluator = system_level_evaluator) -> dict[str, Any]:
    """The rule's satisfying plans and their climbed ends, term by term (means over those plans)."""
    rows: dict[str, list[dict[str, float]]] = {"rule": [], "climbed": []}
    for task in tasks:
        run = _run(task, rule_link(task), evaluate_plans)
        if run is None or not run[2].satisfied:
            continue
        end = _trimmed(task, run, evaluate_plans)
        end_run = _run(task, end, evaluate_plans)
        assert end_run is not None and end_run[2].satisfied, "the climb only moves to plans that meet the QoS"
        for name, (link, verdict) in (("rule", (run[0].link, run[2])), ("climbed", (end, end_run[2]))):
            rows[name].append({**waste_terms(task, link, verdict), "score": verdict.reward})
    return {
        "tasks": len(tasks),
        "rule_satisfied": len(rows["rule"]),
        **{name: {k: statistics.mean(r[k] for r in rs) for k in (*TERMS, "score")} for name, rs in rows.items() if rs},
    }


def trim(tasks: Sequence[Task], evaluate_plans: PlanEvaluator = system_level_evaluator) -> dict[str, Any]:
    """The lean rule's plans, and the serving trim's climb from those that meet the QoS."""
    before, after = [], []
    for task in tasks:
        run = _run(task, lean_rule_link(task), evaluate_plans)
        if run is None or not run[2].satisfied:
            continue
        end_run = _run(task, _trimmed(task, run, evaluate_plans), evaluate_plans)
        assert end_run is not None
        before.append(run[2].reward)
        after.append(end_run[2].reward)
    return {
        "tasks": len(tasks),
        "completed": len(before),
        "completion": len(before) / len(tasks),
        "avg_score_completed": statistics.mean(before) if before else None,
        "avg_score_completed_trimmed": statistics.mean(after) if after else None,
        "refine_moves": DEFAULT_REFINE_MOVES,
        "refine_margin_db": REFINE_MARGIN_DB,
    }


def pair(model: dict[str, Any], rule: dict[str, Any], seed: int = 0, resamples: int = 2000) -> dict[str, Any]:
    """A model's `sixg:eval` report against the lean rule's on the same tasks."""
    ours = {r["task_id"]: r for r in model["records"]}
    theirs = {r["task_id"]: r for r in rule["records"]}
    if set(ours) != set(theirs):
        raise ValueError("the two reports are not on the same tasks")
    both = [k for k in ours if ours[k]["fulfilled"] and theirs[k]["fulfilled"]]
    diffs = [ours[k]["score"] - theirs[k]["score"] for k in both]
    rng = random.Random(seed)
    means = sorted(statistics.mean(rng.choices(diffs, k=len(diffs))) for _ in range(resamples)) if diffs else []
    fields: Counter[str] = Counter()
    same = 0
    for k in ours:
        a, b = json.loads(ours[k]["raw_output"]), json.loads(theirs[k]["raw_output"])
        changed = [f for f in a if a[f] != b.get(f)]
        fields.update(changed)
        same += not changed
    return {
        "tasks": len(ours),
        "both_completed": len(both),
        "only_model": sum(ours[k]["fulfilled"] and not theirs[k]["fulfilled"] for k in ours),
        "only_rule": sum(theirs[k]["fulfilled"] and not ours[k]["fulfilled"] for k in ours),
        "paired_score_diff": statistics.mean(diffs) if diffs else None,
        "paired_score_diff_ci95": [means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]] if means else None,
        "answers_equal_to_rule": same,
        "fields_changed": dict(fields.most_common()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    w = sub.add_parser("waste", help="eq. (2)'s terms: the rule's plans against their climbed ends")
    w.add_argument("--tasks", type=Path, required=True)
    w.add_argument("--limit", type=int, default=150)
    t = sub.add_parser("trim", help="the lean rule's plans with the serving trim")
    t.add_argument("--tasks", type=Path, required=True)
    p = sub.add_parser("pair", help="a model's sixg:eval report against the lean rule's")
    p.add_argument("--model", type=Path, required=True)
    p.add_argument("--rule", type=Path, required=True)
    for each in (w, t, p):
        each.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    args = parser.parse_args(argv)
    if args.what == "waste":
        report = waste(load_tasks(args.tasks)[: args.limit])
    elif args.what == "trim":
        report = trim(load_tasks(args.tasks))
    else:
        report = pair(json.loads(args.model.read_text()), json.loads(args.rule.read_text()))
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
