"""Evaluation reports side by side, with the uncertainty a difference needs (issue: "evaluation that can tell").

    python -m sixg_learner.evaluation.compare --report base=results/a.json --report rs=results/b.json ... [--out F]

Per model: task completion with a Wilson 95 % interval, the average eq. (2) score of the completed
tasks with a bootstrap 95 % interval, and the number of distinct plans. Between each model and the
one before it (the order of --report), on the tasks both answered: the paired difference in
completion, and McNemar's exact test on the discordant tasks (one completes, the other does not),
which is what "significant" means in docs/RLDTF.md. Reports must be on the same task file.

`--report NAME=a.json+b.json+...` is the twin-checked best-of-k of those reports, in that order:
per task the first answer that meets the QoS, else the last one — what an orchestration request
with `candidates = k` answers when its k draws are those reports' (orchestrate.py: the greedy
answer, then samples at seeds 1, 2, …).
"""

from __future__ import annotations

import argparse
import json
import math
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class ModelRow:
    name: str
    tasks: int
    completed: int
    completion: float
    completion_ci: tuple[float, float]
    avg_score_completed: float | None
    avg_score_ci: tuple[float, float] | None
    mean_reward: float
    distinct_plans: int


@dataclass(frozen=True)
class Paired:
    better: str
    worse: str
    tasks: int
    only_better: int
    """Tasks the first model completes and the second does not."""
    only_worse: int
    difference: float
    """Completion of `better` minus completion of `worse` on the shared tasks."""
    mcnemar_p: float
    """Two-sided exact McNemar p-value (binomial on the discordant tasks)."""


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (sound at 0 % and 100 %, unlike the normal one)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_mean_interval(values: list[float], seed: int = 0, resamples: int = 2000) -> tuple[float, float] | None:
    """Percentile bootstrap 95 % interval of a mean (None for no values)."""
    if not values:
        return None
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(values, k=len(values))) / len(values) for _ in range(resamples))
    return (means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1])


def mcnemar_exact_p(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar test: P(a split at least this uneven) under Binomial(only_a + only_b, ½)."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def best_of(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """The twin-checked best-of-k report of `reports` (same tasks): per task the first answer that
    meets the QoS, else the last answer. The raw output kept is the chosen answer's."""
    if not reports:
        raise ValueError("best_of needs at least one report")
    tasks = [r["task_id"] for r in reports[0]["records"]]
    by_task = [_records(r) for r in reports]
    for k, records in enumerate(by_task):
        if set(records) != set(tasks):
            raise ValueError(f"report {k + 1} of the best-of is not on the same tasks")
    chosen = []
    for task in tasks:
        answers = [records[task] for records in by_task]
        chosen.append(next((a for a in answers if a["fulfilled"]), answers[-1]))
    return {**reports[0], "records": chosen, "best_of": len(reports)}


def _records(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["task_id"]: r for r in report["records"]}


def model_row(name: str, report: dict[str, Any]) -> ModelRow:
    records = list(_records(report).values())
    done = [r for r in records if r["fulfilled"]]
    scores = [r["score"] for r in done]
    return ModelRow(
        name=name,
        tasks=len(records),
        completed=len(done),
        completion=len(done) / len(records) if records else 0.0,
        completion_ci=wilson_interval(len(done), len(records)),
        avg_score_completed=sum(scores) / len(scores) if scores else None,
        avg_score_ci=bootstrap_mean_interval(scores),
        mean_reward=sum(r["score"] for r in records) / len(records) if records else 0.0,
        distinct_plans=len({r["raw_output"] for r in records}),
    )


def paired(a_name: str, a: dict[str, Any], b_name: str, b: dict[str, Any]) -> Paired:
    """`a` against `b` on the tasks both reports hold."""
    ra, rb = _records(a), _records(b)
    shared = sorted(set(ra) & set(rb))
    only_a = sum(ra[t]["fulfilled"] and not rb[t]["fulfilled"] for t in shared)
    only_b = sum(rb[t]["fulfilled"] and not ra[t]["fulfilled"] for t in shared)
    return Paired(
        better=a_name,
        worse=b_name,
        tasks=len(shared),
        only_better=only_a,
        only_worse=only_b,
        difference=(only_a - only_b) / len(shared) if shared else 0.0,
        mcnemar_p=mcnemar_exact_p(only_a, only_b),
    )


def table(rows: list[ModelRow], pairs: list[Paired]) -> str:
    lines = [
        "| model | completion (95 % CI) | avg score of completed (95 % CI) | mean reward | distinct plans |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lo, hi = r.completion_ci
        score = "—" if r.avg_score_completed is None else f"{r.avg_score_completed:.3f}"
        if r.avg_score_ci is not None:
            score += f" ({r.avg_score_ci[0]:.3f}–{r.avg_score_ci[1]:.3f})"
        lines.append(
            f"| {r.name} | {100 * r.completion:.1f} % ({100 * lo:.1f}–{100 * hi:.1f}) | {score} | "
            f"{r.mean_reward:.3f} | {r.distinct_plans} |"
        )
    if pairs:
        lines += ["", "| paired on the same tasks | Δ completion | only first / only second | McNemar p |"]
        lines += ["| --- | --- | --- | --- |"]
        for p in pairs:
            lines.append(
                f"| {p.better} vs {p.worse} | {100 * p.difference:+.1f} pts | {p.only_better} / {p.only_worse} | "
                f"{p.mcnemar_p:.2g} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare evaluation reports with intervals and paired tests.")
    parser.add_argument(
        "--report",
        action="append",
        required=True,
        help="NAME=report.json, or NAME=a.json+b.json+… for their twin-checked best-of-k (order: the table's)",
    )
    parser.add_argument("--pair", action="append", default=[], help="A:B — also test A against B (names)")
    parser.add_argument("--out", type=Path, default=None, help="JSON with the rows and the paired tests")
    args = parser.parse_args(argv)
    reports: dict[str, dict[str, Any]] = {}
    for item in args.report:
        name, _, path = item.partition("=")
        if not path:
            parser.error(f"--report {item!r}: expected NAME=FILE")
        parts = [json.loads(Path(p).read_text()) for p in path.split("+")]
        reports[name] = parts[0] if len(parts) == 1 else best_of(parts)
    files = {r.get("tasks_sha256") for r in reports.values()}
    if len(files) > 1:
        parser.error(f"the reports are on different task files: {sorted(str(f) for f in files)}")
    names = list(reports)
    rows = [model_row(n, reports[n]) for n in names]
    pairs = [paired(b, reports[b], a, reports[a]) for a, b in zip(names, names[1:], strict=False)]
    for spec in args.pair:
        a, _, b = spec.partition(":")
        pairs.append(paired(a, reports[a], b, reports[b]))
    print(table(rows, pairs))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        payload = {"rows": [asdict(r) for r in rows], "paired": [asdict(p) for p in pairs]}
        args.out.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
