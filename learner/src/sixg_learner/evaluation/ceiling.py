"""How high eq. (2) can go on a task file: the grid's witnesses, climbed to a local optimum on the twin.

Why. Issue 13 asks for an average score of completed tasks ≥ 0.65. A model's score is bounded by the best
plan that meets each task's QoS, and the tasks' witnesses (the feasibility grid's best plan,
`tasks/generate.py`) are only a lower bound on that: the grid is coarse (two bandwidths per numerology,
every second or third MCS, four antenna sets, 5 or 20 LDPC iterations). This command climbs from each
witness to a local optimum of eq. (2) among the plans that still meet the QoS: steepest ascent over the
repair search's edit groups (`tasks/repair.py`: MCS, PRBs, carrier, antennas, estimator, detector, LDPC
iterations, HARQ), changing one group per move (two with `--groups 2`), every candidate run on the
system-level twin, until no move raises the reward. The result is a sharper (still not proven) ceiling
per task.

Given evaluations (`--evaluation FILE`, what `sixg:eval` writes), it also reports each one's average score
of completed tasks beside the ceiling on the same tasks, so a figure can be read as a share of what the
twin allows. With `--answer-moves N` it climbs each completed answer too, by at most N moves, and counts
which edit groups the moves changed: what the model leaves on the table, and where.

`npm run sixg:ceiling -- --tasks learner/data/eval/tasks-7011393aa72e.jsonl --evaluation results/… --out
results/sixg-score-ceiling.json`
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twin_bridge.orchestration import LinkConfig, Orchestration

from sixg_learner.tasks.generate import witness_of
from sixg_learner.tasks.repair import Climb, climb
from sixg_learner.tasks.reward import judge
from sixg_learner.tasks.scoring import system_level_evaluator
from sixg_learner.tasks.task import Task, file_sha256, load_tasks


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _answer_climbs(completed: list[dict[str, Any]], tasks: dict[str, Task], moves: int) -> dict[str, Any]:
    """Each completed answer climbed by at most `moves` moves: the mean score after, and the groups changed."""
    after: list[float] = []
    changed: Counter[str] = Counter()
    for record in completed:
        task = tasks[record["task_id"]]
        plan = Orchestration(link=LinkConfig(**record["orchestration"]["link"]), scenario=task.radio())
        result = system_level_evaluator([plan])[0]
        if result is None:
            raise SystemExit(f"{record['task_id']}: the twin refuses a plan the evaluation counted as completed")
        verdict = judge(result, plan, task.requirement())
        end = climb(task, witness_of(plan, result, verdict), max_moves=moves)
        after.append(end.reward)
        changed.update(end.changed)
    return {"moves": moves, "average_score_after": _mean(after), "groups_changed": dict(changed.most_common())}


def _evaluation_row(
    path: Path, ceilings: dict[str, Climb], tasks: dict[str, Task], answer_moves: int
) -> dict[str, Any]:
    data = json.loads(path.read_text())
    completed = [r for r in data["records"] if r.get("fulfilled")]
    unknown = [r["task_id"] for r in completed if r["task_id"] not in ceilings]
    if unknown:
        raise SystemExit(f"{path}: {len(unknown)} completed tasks are not in the task file (e.g. {unknown[0]})")
    scores = [float(r["score"]) for r in completed]
    ceiling = [ceilings[r["task_id"]].reward for r in completed]
    return {
        "evaluation": str(path),
        "completed": len(completed),
        "tasks": len(data["records"]),
        "average_score_completed": _mean(scores),
        "ceiling_on_completed": _mean(ceiling),
        "witness_on_completed": _mean([ceilings[r["task_id"]].start_reward for r in completed]),
        "share_of_ceiling": (sum(scores) / sum(ceiling)) if ceiling else None,
        **({"answers_climbed": _answer_climbs(completed, tasks, answer_moves)} if answer_moves > 0 else {}),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=Path, required=True, help="a task file with witnesses (JSONL)")
    parser.add_argument("--groups", type=int, default=1, choices=(1, 2), help="edit groups changed per move")
    parser.add_argument("--evaluation", type=Path, action="append", default=[], help="a sixg:eval result")
    parser.add_argument("--answer-moves", type=int, default=0, help="also climb each completed answer this far")
    parser.add_argument("--bound", type=float, default=0.65, help="the average-score bound to read against")
    parser.add_argument("--out", type=Path, help="JSON report (results/…)")
    args = parser.parse_args(argv)

    tasks = [t for t in load_tasks(args.tasks) if t.witness is not None]
    by_id = {t.id: t for t in tasks}
    if not tasks:
        raise SystemExit(f"{args.tasks}: no task carries a witness")
    climbs: dict[str, Climb] = {}
    for i, task in enumerate(tasks, 1):
        assert task.witness is not None
        climbs[task.id] = climb(task, task.witness, groups=args.groups)
        if i % 25 == 0 or i == len(tasks):
            print(f"[ceiling] {i}/{len(tasks)} tasks climbed", file=sys.stderr, flush=True)

    witness = [c.start_reward for c in climbs.values()]
    ceiling = [c.reward for c in climbs.values()]
    report: dict[str, Any] = {
        "tasks_file": str(args.tasks),
        "tasks_sha256": file_sha256(args.tasks),
        "groups": args.groups,
        "tasks": len(tasks),
        "witness_mean": _mean(witness),
        "ceiling_mean": _mean(ceiling),
        "ceiling_median": statistics.median(ceiling),
        "ceiling_max": max(ceiling),
        "tasks_with_ceiling_at_or_above_bound": sum(r >= args.bound for r in ceiling),
        "bound": args.bound,
        "bound_as_share_of_ceiling": args.bound / statistics.fmean(ceiling),
        "mean_moves": statistics.fmean(c.moves for c in climbs.values()),
        "evaluations": [_evaluation_row(p, climbs, by_id, args.answer_moves) for p in args.evaluation],
        "per_task": [
            {"task_id": task_id, "witness": round(c.start_reward, 4), "ceiling": round(c.reward, 4), "moves": c.moves}
            for task_id, c in climbs.items()
        ],
    }
    print(
        f"{len(tasks)} tasks: witnesses average {report['witness_mean']:.3f}, climbed ({args.groups} group(s) a move) "
        f"{report['ceiling_mean']:.3f} (median {report['ceiling_median']:.3f}, max {report['ceiling_max']:.3f}); "
        f"{report['tasks_with_ceiling_at_or_above_bound']} reach {args.bound}; the bound is "
        f"{100 * report['bound_as_share_of_ceiling']:.0f} % of the mean ceiling"
    )
    for row in report["evaluations"]:
        print(
            f"  {row['evaluation']}: {row['completed']}/{row['tasks']} completed, average score "
            f"{row['average_score_completed']:.3f} against a ceiling of {row['ceiling_on_completed']:.3f} on the same "
            f"tasks ({100 * row['share_of_ceiling']:.0f} %)"
        )
        if "answers_climbed" in row:
            climbed = row["answers_climbed"]
            print(
                f"    its answers climbed by ≤ {climbed['moves']} move(s): {climbed['average_score_after']:.3f}; "
                f"groups changed {climbed['groups_changed']}"
            )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
