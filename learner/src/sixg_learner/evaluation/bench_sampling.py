"""`npm run bench:sixg-sampling`: the actor's sampling speed, `sample` beside `sample_reference`, one torch thread.

The real base model (data/models/smollm2-135m-hf, built by `npm run sixg:convert` when missing) on
real prompts: the committed evaluation tasks through `prompting.build_messages` and the model's chat
template (as evaluate.py's generators and training build them), each task's system state as its
grammar limits. For each batch size B (rows decoded at once: B/k prompts × k answers, k = min(--k, B))
the new path samples --answers answers or more (whole batches, prompts cycling through the tasks)
and the old path one batch, the first of the new path's: same prompts, same seed, so the two paths'
answers are compared too (they should be identical). Sampling as PPO's rollout does by default
(temperature 1, log-probs and values read off, answer grammar); --greedy as evaluation does.

Answer tokens are the answers' columns up to and including end-of-text (the tokens PPO scores);
seconds are wall-clock seconds of whole `sample` calls (tokenising, prefill and grammar included).

    python -m sixg_learner.evaluation.bench_sampling [--batches 1,4,8,16,32] [--answers 8] [--greedy] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from sixg_learner.export.convert import DEFAULT_OUT_DIR
from sixg_learner.export.convert import main as convert_main
from sixg_learner.files import repository_root
from sixg_learner.generation.grammar import StateLimits, grammar_for
from sixg_learner.generation.policy import Policy, Rollout, chat_prompts, load_policy, sample, sample_reference
from sixg_learner.tasks.task import Task, load_tasks
from sixg_learner.training.args import PpoArgs

DEFAULT_OUT = Path("results/sixg-sampling.json")

Sampler = Callable[..., Rollout]


def default_tasks() -> Path:
    """The newest committed task file (learner/data/tasks-<hash>.jsonl)."""
    files = sorted((repository_root() / "learner" / "data").glob("tasks-*.jsonl"), key=lambda p: p.stat().st_mtime)
    if not files:
        raise FileNotFoundError("no learner/data/tasks-*.jsonl")
    return files[-1]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_OUT_DIR, help="base HF folder (default: %(default)s)")
    parser.add_argument("--tasks", type=Path, default=None, help="task file (default: the newest learner/data one)")
    parser.add_argument("--batches", default="1,4,8,16,32", help="batch sizes, rows decoded at once (%(default)s)")
    parser.add_argument(
        "--reference-batches",
        default=None,
        help="batch sizes the old path runs at (default: all of --batches; 'none' skips the old path)",
    )
    parser.add_argument("--answers", type=int, default=8, help="fewest answers the new path samples per size (8)")
    # PPO's rollout settings unless told otherwise (PpoArgs declares them once)
    parser.add_argument("--k", type=int, default=PpoArgs.k, help="answers per prompt, at most B (default: %(default)s)")
    parser.add_argument(
        "--max-new-tokens", type=int, default=PpoArgs.max_new_tokens, help="longest answer (default: %(default)s)"
    )
    parser.add_argument(
        "--temperature", type=float, default=PpoArgs.temperature, help="sampling temperature (default: %(default)s)"
    )
    parser.add_argument("--greedy", action="store_true", help="decode greedily, without scores (evaluation)")
    parser.add_argument("--seed", type=int, default=PpoArgs.seed, help="sampling seed (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON (default: %(default)s)")
    return parser


def _sizes(text: str) -> list[int]:
    return [] if text.strip().lower() == "none" else [int(s) for s in text.split(",") if s.strip()]


def _timed(
    sampler: Sampler,
    policy: Policy,
    batches: Sequence[tuple[list[str], list[StateLimits]]],
    k: int,
    cli: argparse.Namespace,
) -> tuple[dict[str, Any], list[Rollout]]:
    rollouts, seconds = [], 0.0
    for prompts, limits in batches:
        started = time.perf_counter()
        rollouts.append(
            sampler(
                policy,
                prompts,
                k,
                cli.max_new_tokens,
                cli.temperature,
                cli.seed,
                score=not cli.greedy,
                greedy=cli.greedy,
                limits=limits,
            )
        )
        seconds += time.perf_counter() - started
    answers = sum(len(r.texts) for r in rollouts)
    tokens = int(sum(float(r.sequences.response_mask.sum()) for r in rollouts))
    figures = {
        "batches": len(batches),
        "answers": answers,
        "answer_tokens": tokens,
        "seconds": round(seconds, 2),
        "answer_tokens_per_s": round(tokens / seconds, 1),
        "answers_per_s": round(answers / seconds, 3),
    }
    return figures, rollouts


def _agreement(new: Rollout, old: Rollout) -> dict[str, Any]:
    """How far the two paths' answers to the same batch differ (identical tokens expected)."""
    same = sum(a == b for a, b in zip(new.answer_ids, old.answer_ids, strict=True))
    width = min(new.logprobs.shape[1], old.logprobs.shape[1])
    return {
        "identical_answers": f"{same}/{len(new.answer_ids)}",
        "max_logprob_difference": float((new.logprobs[:, :width] - old.logprobs[:, :width]).abs().max()),
        "max_value_difference": float((new.values[:, :width] - old.values[:, :width]).abs().max()),
    }


def _machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def main(argv: list[str] | None = None) -> int:
    cli = build_parser().parse_args(argv)
    torch.set_num_threads(cli.threads)
    if not cli.model.exists():
        if cli.model != DEFAULT_OUT_DIR:
            print(f"no model at {cli.model}", file=sys.stderr)
            return 2
        print(f"{cli.model} is missing: building it (npm run sixg:convert)")
        convert_main(["--out", str(cli.model)])
    tasks_file = cli.tasks or default_tasks()
    tasks: list[Task] = load_tasks(tasks_file)
    sizes = _sizes(cli.batches)
    reference_sizes = sizes if cli.reference_batches is None else _sizes(cli.reference_batches)
    policy = load_policy(cli.model)
    tokenizer = policy.tokenizer
    grammar_for(tokenizer)  # built once per tokenizer (~2 s): not part of either path's time
    prompts = chat_prompts(tasks, policy)
    limits = [StateLimits.of(task.radio()) for task in tasks]
    print(
        f"sampling on {tasks_file.name}: {len(tasks)} tasks, T={cli.temperature}, "
        f"{'greedy' if cli.greedy else 'sampled, log-probs and values read off'}, "
        f"max {cli.max_new_tokens} new tokens, {cli.threads} torch thread(s); the old path runs one batch per size "
        f"(fewer answers than the new path's ≥ {cli.answers})",
        flush=True,
    )
    rows: list[dict[str, Any]] = []
    cursor = 0
    load_before = os.getloadavg()
    for size in sizes:
        k = min(cli.k, size)
        per_batch = max(1, size // k)
        count = max(1, -(-cli.answers // (per_batch * k)))
        batches = []
        for _ in range(count):
            index = [(cursor + i) % len(tasks) for i in range(per_batch)]
            cursor += per_batch
            batches.append(([prompts[i] for i in index], [limits[i] for i in index]))
        new, new_rollouts = _timed(sample, policy, batches, k, cli)
        row: dict[str, Any] = {"batch": per_batch * k, "k": k, "prompts_per_batch": per_batch, "new": new}
        if size in reference_sizes:
            old, old_rollouts = _timed(sample_reference, policy, batches[:1], k, cli)
            row["reference"] = old
            row["speedup"] = round(new["answer_tokens_per_s"] / old["answer_tokens_per_s"], 2)
            row.update(_agreement(new_rollouts[0], old_rollouts[0]))
        rows.append(row)
        print(_line(row), flush=True)
    best_new = max(rows, key=lambda r: r["new"]["answer_tokens_per_s"])
    with_old = [r for r in rows if "reference" in r]
    summary: dict[str, Any] = {
        "best_new": {"batch": best_new["batch"], "answer_tokens_per_s": best_new["new"]["answer_tokens_per_s"]},
    }
    if with_old:
        best_old = max(with_old, key=lambda r: r["reference"]["answer_tokens_per_s"])
        summary["best_reference"] = {
            "batch": best_old["batch"],
            "answer_tokens_per_s": best_old["reference"]["answer_tokens_per_s"],
        }
        summary["best_over_best"] = round(
            best_new["new"]["answer_tokens_per_s"] / best_old["reference"]["answer_tokens_per_s"], 2
        )
    result = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(
            ["python -m sixg_learner.evaluation.bench_sampling", *(argv if argv is not None else sys.argv[1:])]
        ),
        "model": str(cli.model),
        "tasks": tasks_file.name,
        "threads": cli.threads,
        "temperature": cli.temperature,
        "greedy": cli.greedy,
        "max_new_tokens": cli.max_new_tokens,
        "seed": cli.seed,
        "machine": _machine(),
        # other processes on the machine slow both paths (memory bandwidth, caches): their load, 1-min average
        "load_average": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
        "note": "the old path (sample_reference) runs one batch per size, the first of the new path's batches",
        "rows": rows,
        "summary": summary,
    }
    cli.out.parent.mkdir(parents=True, exist_ok=True)
    cli.out.write_text(json.dumps(result, indent=2) + "\n")
    print(_table(rows))
    if "best_over_best" in summary:
        print(
            f"best: new {summary['best_new']['answer_tokens_per_s']} tok/s at batch {summary['best_new']['batch']}, "
            f"old {summary['best_reference']['answer_tokens_per_s']} tok/s at batch "
            f"{summary['best_reference']['batch']}: ×{summary['best_over_best']}"
        )
    print(f"wrote {cli.out}")
    return 0


def _line(row: dict[str, Any]) -> str:
    new = row["new"]
    text = f"  batch {row['batch']:>3} (k={row['k']}): new {new['answer_tokens_per_s']:>6.1f} tok/s"
    if "reference" in row:
        text += f", old {row['reference']['answer_tokens_per_s']:>5.1f} tok/s, ×{row['speedup']}"
        text += f", identical answers {row['identical_answers']}"
    return text


def _table(rows: Sequence[dict[str, Any]]) -> str:
    def head(path: str) -> str:
        return f"{path + ': answers':>13} {'tokens':>6} {'s':>6} {'tok/s':>6} {'ans/s':>6}"

    top = f"{'batch':>5} {'k':>2} | {head('new')} | {head('old')} | {'speed-up':>8} | identical"
    lines = [top, "-" * len(top)]
    for row in rows:
        new, old = row["new"], row.get("reference")
        cells = f"{row['batch']:>5} {row['k']:>2} | {_cells(new)} | "
        cells += _cells(old) if old else " " * len(head("old"))
        cells += f" | {'×' + str(row['speedup']) if old else '':>8} | {row.get('identical_answers', '')}"
        lines.append(cells)
    return "\n".join(lines)


def _cells(f: dict[str, Any]) -> str:
    return (
        f"{f['answers']:>13} {f['answer_tokens']:>6} {f['seconds']:>6.1f} "
        f"{f['answer_tokens_per_s']:>6.1f} {f['answers_per_s']:>6.2f}"
    )


if __name__ == "__main__":
    sys.exit(main())
