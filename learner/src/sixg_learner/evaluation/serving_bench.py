"""The served orchestration end to end on held-out tasks: what POST /v1/sixg/orchestrations answers.

`evaluate` measures the model (one greedy plan per task). A caller of the API gets more: up to
`candidates` plans judged on the twin, then the chosen plan trimmed on the twin by up to
`refine_moves` moves (`serving.orchestrate`). This runs that function on each task, through the model
server, and reports both what the model's chosen plan scored and what the answer scored, so the
search's share of the result is visible beside the model's:

    npm run bench:sixg-serving -- --tasks learner/data/eval/tasks-7011393aa72e.jsonl --refine-moves 2 \\
        --out results/sixg-serving-refine2.json

Completion is the share of tasks whose answer meets the QoS (Wilson 95 % interval); the scores are
eq. (2) averaged over the tasks whose answer meets the QoS (bootstrap 95 % interval), for the answer
and, on the same tasks, for the model's own plan before trimming.

`--against OLD.json` pairs the run with an earlier one on the same tasks (another model as served): the
tasks only one completes, McNemar's exact p, and the paired score difference on the tasks both complete
(bootstrap 95 % interval). `--reuse` reads the records already in `--out` instead of serving again:

    npm run bench:sixg-serving -- --tasks learner/data/eval/tasks-7011393aa72e.jsonl \\
        --out results/sixg-serving-lean-more.json --reuse --against results/sixg-serving-lean-default.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from sixg_learner.chat import SIXG_MODEL_ID, model_endpoint
from sixg_learner.evaluation.compare import bootstrap_mean_interval, mcnemar_exact_p, wilson_interval
from sixg_learner.serving.orchestrate import DEFAULT_CANDIDATES, OrchestrationAnswer, choose_model, orchestrate
from sixg_learner.tasks.task import Task, file_sha256, load_tasks


def task_record(task: Task, answer: OrchestrationAnswer) -> dict[str, Any]:
    refined = answer.refined
    return {
        "task_id": task.id,
        "fulfilled": answer.fulfilled,
        "score": answer.score,
        "model_score": refined.model_score if refined is not None else answer.score,
        "moves": refined.moves if refined is not None else 0,
        "changed": refined.changed if refined is not None else [],
        "candidates": len(answer.candidates),
        "seconds": answer.seconds,
    }


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(records)
    met = [r for r in records if r["fulfilled"]]
    scores = [float(r["score"]) for r in met]
    model_scores = [float(r["model_score"]) for r in met]
    low, high = wilson_interval(len(met), n)
    changed: dict[str, int] = {}
    for r in met:
        for name in r["changed"]:
            changed[name] = changed.get(name, 0) + 1
    return {
        "tasks": n,
        "completed": len(met),
        "completion": len(met) / n if n else 0.0,
        "completion_ci95": [low, high],
        "avg_score_completed": statistics.fmean(scores) if scores else None,
        "avg_score_completed_ci95": bootstrap_mean_interval(scores),
        "model_avg_score_same_tasks": statistics.fmean(model_scores) if model_scores else None,
        "trimmed_tasks": sum(r["moves"] > 0 for r in met),
        "moves_mean": statistics.fmean(r["moves"] for r in met) if met else 0.0,
        "changed_groups": dict(sorted(changed.items(), key=lambda kv: -kv[1])),
        "median_seconds": statistics.median(r["seconds"] for r in records) if records else None,
    }


def paired_with(records: list[dict[str, Any]], earlier: list[dict[str, Any]]) -> dict[str, Any]:
    """This run against an earlier one, task by task (module docstring); both must hold the same tasks."""
    before = {r["task_id"]: r for r in earlier}
    if set(before) != {r["task_id"] for r in records}:
        raise ValueError("the two serving reports are not on the same tasks")
    only_new = sum(r["fulfilled"] and not before[r["task_id"]]["fulfilled"] for r in records)
    only_old = sum(before[r["task_id"]]["fulfilled"] and not r["fulfilled"] for r in records)
    both = [r for r in records if r["fulfilled"] and before[r["task_id"]]["fulfilled"]]
    diffs = [float(r["score"]) - float(before[r["task_id"]]["score"]) for r in both]
    return {
        "only_this": only_new,
        "only_earlier": only_old,
        "mcnemar_p": mcnemar_exact_p(only_new, only_old),
        "both_completed": len(both),
        "paired_score_diff": statistics.fmean(diffs) if diffs else None,
        "paired_score_diff_ci95": bootstrap_mean_interval(diffs),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--model", default=None, help="a served model (default: sixg-llm when served)")
    parser.add_argument("--candidates", type=int, default=DEFAULT_CANDIDATES)
    parser.add_argument("--refine-moves", type=int, default=None, help="default: the serving default")
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--against", type=Path, default=None, help="an earlier serving report to pair with")
    parser.add_argument("--reuse", action="store_true", help="read the records in --out instead of serving again")
    args = parser.parse_args(argv)
    if args.reuse:
        report = json.loads(args.out.read_text())
        if report["tasks_sha256"] != file_sha256(args.tasks):
            raise SystemExit(f"{args.out} is not a run on {args.tasks}")
        return _finish(args, report)
    tasks = load_tasks(args.tasks)[: args.limit]
    records = []
    started = time.perf_counter()
    with model_endpoint(args.base_url) as base_url:
        model = choose_model(base_url, args.model)
        if model != SIXG_MODEL_ID and args.model is None:
            raise SystemExit(f"{base_url} serves no {SIXG_MODEL_ID}: install the shipped model first")
        for i, task in enumerate(tasks, 1):
            answer = orchestrate(task, base_url, model, candidates=args.candidates, refine_moves=args.refine_moves)
            records.append(task_record(task, answer))
            r = records[-1]
            print(
                f"[{i}/{len(tasks)}] {task.id}: {'met' if r['fulfilled'] else 'missed'} "
                f"score {r['score'] if r['score'] is None else round(r['score'], 3)} "
                f"(model {r['model_score'] if r['model_score'] is None else round(r['model_score'], 3)}, "
                f"{r['moves']} moves) {r['seconds']:.1f} s",
                flush=True,
            )
    summary = summarise(records)
    report = {
        "tasks_file": str(args.tasks),
        "tasks_sha256": file_sha256(args.tasks),
        "model": model,
        "candidates": args.candidates,
        "refine_moves": args.refine_moves,
        "wall_s": time.perf_counter() - started,
        "summary": summary,
        "records": records,
    }
    return _finish(args, report)


def _finish(args: argparse.Namespace, report: dict[str, Any]) -> int:
    if args.against is not None:
        earlier = json.loads(args.against.read_text())
        report["paired"] = {"against": str(args.against), **paired_with(report["records"], earlier["records"])}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k in ("summary", "paired")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
