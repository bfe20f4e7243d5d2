"""RLDTF training of the 6G-LLM (paper Section III): rejection sampling, then PPO from the twin's feedback.

    python -m sixg_learner.training.train rs  --tasks F --base DIR --out DIR [--k 4 --rounds 3 ...]
    python -m sixg_learner.training.train ppo --tasks F --init DIR --out DIR [--steps N --k 4 ...]
    python -m sixg_learner.training.train sft --data F --base DIR --out DIR [--epochs 2 ...]  (domain_sft.py)
    python -m sixg_learner.training.train distill --tasks F --base DIR --out DIR [--epochs 4 ...]  (distill.py)

The runs around the algorithms (`rejection_sampling.rs_round`, Section III-B; `rl.ppo_iteration`,
Section III-C): the loop over rounds or steps, a checkpoint after each RS round and every
`save_every` PPO steps (`checkpoints.py`), one metrics line per step in `<out>/metrics.jsonl` and
on stdout.

Every step is a pure function of the state at its start and of (seed, step): the sampling seed,
the minibatch order and the perturbations are derived from them, so resuming from a checkpoint
(`--base`/`--init` pointing at a checkpoint of the same phase) continues at step + 1 with exactly
the numbers an uninterrupted run would have had.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from sixg_learner.export.ship import is_shipped, shipped_policy
from sixg_learner.generation.grammar import StateLimits
from sixg_learner.generation.policy import (
    LoraSettings,
    Policy,
    chat_prompts,
    load_policy,
    place_policy,
    refresh_reference,
    sample,
)
from sixg_learner.tasks.scoring import Scorer, TwinScorer
from sixg_learner.tasks.task import Task, load_tasks, tasks_jsonl
from sixg_learner.training.args import DistillArgs, LoopArgs, PpoArgs, RsArgs, add_dataclass_arguments
from sixg_learner.training.checkpoints import Phase, checkpoint_step, is_checkpoint, load_checkpoint, restore_rng
from sixg_learner.training.distill import distill_epoch, repair_targets, robust_targets, summary_line, teacher_sequences
from sixg_learner.training.domain_sft import add_sft_arguments, run_from_cli
from sixg_learner.training.rejection_sampling import rs_round
from sixg_learner.training.rl import ppo_iteration
from sixg_learner.training.updates import make_optimizer


@dataclass
class RunContext:
    """What a run needs beside the policy: the tasks, their prompts, the judge and where to write."""

    tasks: Sequence[Task]
    prompts: Sequence[str]
    scorer: Scorer
    out_dir: Path
    dataset: Path
    dataset_sha256: str
    log: Callable[[dict[str, Any]], None] = field(default=lambda metrics: None)
    dev_tasks: Sequence[Task] = ()
    """Held-out tasks (never trained on): greedy completion on them after each round decides when RS stops."""
    dev_prompts: Sequence[str] = ()
    max_new_tokens: int = LoopArgs.max_new_tokens
    constrained: bool = True

    def record(self, metrics: dict[str, Any]) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with (self.out_dir / "metrics.jsonl").open("a") as f:
            f.write(json.dumps(metrics) + "\n")
        self.log(metrics)

    def mark_best(self, checkpoint: Path, metrics: dict[str, Any]) -> None:
        """`<out>/best.json`: the checkpoint with the best dev figures so far."""
        record = {"checkpoint": str(checkpoint), **{k: v for k, v in metrics.items() if k.startswith("dev/")}}
        (self.out_dir / "best.json").write_text(json.dumps({**record, "step": metrics.get("step")}, indent=2) + "\n")

    def checkpoint(
        self,
        name: str,
        policy: Policy,
        optimizer: torch.optim.Optimizer,
        step: int,
        phase: Phase,
        args: RsArgs | PpoArgs | DistillArgs,
        metrics: dict[str, Any],
        parent: Path | None,
    ) -> Path:
        """`<out>/<name>`, the checkpoint after `step`, continuing `parent`; returns its folder."""
        return checkpoint_step(
            self.out_dir / name, policy, optimizer, step, phase, asdict(args), metrics,
            self.dataset, self.dataset_sha256, parent,
        )  # fmt: skip


def dev_metrics(policy: Policy, ctx: RunContext) -> dict[str, Any]:
    """Greedy answers of the policy under the grammar on the dev tasks: completion and mean scores (empty: none)."""
    if not ctx.dev_tasks:
        return {}
    rollout = sample(
        policy,
        ctx.dev_prompts,
        1,
        ctx.max_new_tokens,
        1.0,
        0,
        score=False,
        constrained=ctx.constrained,
        greedy=True,
        limits=[StateLimits.of(task.radio()) for task in ctx.dev_tasks] if ctx.constrained else None,
    )
    scores = ctx.scorer.score(ctx.dev_tasks, rollout.texts)
    completed = [s.reward for s in scores if s.satisfied]
    return {
        "dev/completion": len(completed) / len(scores),
        "dev/avg_score_completed": sum(completed) / len(completed) if completed else None,
        "dev/mean_reward": sum(s.reward for s in scores) / len(scores),
        "dev/distinct_plans": len(set(rollout.texts)),
    }


def _dev_key(metrics: dict[str, Any]) -> tuple[float, float]:
    return (metrics.get("dev/completion", -1.0), metrics.get("dev/mean_reward") or -2.0)


def resumes(checkpoint_phase: str, phase: str, fresh: bool) -> bool:
    """Whether a checkpoint given as the start continues its own run: one of the phase being run does (its
    optimizer, RNG and step counter), unless `--fresh` asks for a new run from its adapters (e.g. the lean
    distillation continued on other tasks, `sixg:retrain` stage 3d); another phase's never does."""
    return checkpoint_phase == phase and not fresh


@dataclass
class Start:
    """Where a phase's run starts: the policy, the first step, and what a resumed checkpoint carries."""

    policy: Policy
    step: int = 1
    parent: Path | None = None
    optimizer_state: dict[str, Any] | None = None
    resumed_metrics: dict[str, Any] = field(default_factory=dict)
    """The checkpoint's metrics when the run resumes it (empty otherwise)."""


def start_from(source: Path, phase: str, lora: LoraSettings, fresh: bool = False) -> Start:
    """Resume a checkpoint of this phase, start from another phase's or a shipped model's adapters (π_ref their
    copy, a fresh optimizer), or put new adapters on an HF folder."""
    if is_checkpoint(source):
        checkpoint = load_checkpoint(source)
        if resumes(checkpoint.phase, phase, fresh):
            restore_rng(source)
            return Start(
                checkpoint.policy, checkpoint.step + 1, source, checkpoint.optimizer_state, checkpoint.metrics or {}
            )
        refresh_reference(checkpoint.policy)  # π_ref starts as the model PPO starts from
        return Start(checkpoint.policy, parent=source)
    if is_shipped(source):
        policy = shipped_policy(source)  # the shipped model's adapters, trained further (fresh optimizer)
        refresh_reference(policy)
        return Start(policy)
    return Start(load_policy(source, lora))


def _resumed_best(ctx: RunContext, start: int) -> tuple[float, float]:
    """The dev key of `<out>/best.json` when the run resumes (it competes with the checkpoints before it)."""
    best_file = ctx.out_dir / "best.json"
    return _dev_key(json.loads(best_file.read_text())) if start > 1 and best_file.exists() else (-1.0, -2.0)


def run_rejection_sampling(
    policy: Policy,
    optimizer: torch.optim.Optimizer,
    ctx: RunContext,
    args: RsArgs,
    start_round: int = 1,
    parent: Path | None = None,
    best_success_rate: float = -1.0,
    best_dev_metrics: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Rounds until the success rate stops growing (patience 1) or `args.rounds`; a checkpoint after each SFT.

    Round r measures the model round r − 1 trained. A round that does no better than the best before
    it (or keeps nothing) trains nothing and ends the run. With dev tasks, a round whose greedy
    completion on them is not above the best so far also ends the run, and `<out>/best.json` names
    the checkpoint with the best dev completion: the result.
    """
    history: list[dict[str, Any]] = []
    best = best_success_rate
    best_dev = best_dev_metrics or {}
    if ctx.dev_tasks and start_round == 1 and not best_dev:
        best_dev = {"step": 0, **dev_metrics(policy, ctx)}  # the model RS starts from
        ctx.record({"phase": "rs", **best_dev, "rs/dev_baseline": True})
    for round_index in range(start_round, args.rounds + 1):
        metrics, _ = rs_round(policy, optimizer, ctx.tasks, ctx.prompts, ctx.scorer, args, round_index, best)
        best = max(best, metrics["charts/success_rate"])
        if not metrics["rs/stopped"] and ctx.dev_tasks:
            # with a dev split, the rounds go on while the held-out greedy completion improves
            metrics.update(dev_metrics(policy, ctx))
            metrics["rs/dev_improved"] = _dev_key(metrics) > _dev_key(best_dev)
        if not metrics["rs/stopped"]:
            parent = ctx.checkpoint(
                f"rs-round-{round_index}", policy, optimizer, round_index, "rs", args, metrics, parent
            )
            if metrics.get("rs/dev_improved", True):
                best_dev = metrics
                ctx.mark_best(parent, metrics)
        ctx.record(metrics)
        history.append(metrics)
        if metrics["rs/stopped"] or metrics.get("rs/dev_improved") is False:
            break
    return history


def run_distill(
    policy: Policy,
    optimizer: torch.optim.Optimizer,
    ctx: RunContext,
    args: DistillArgs,
    start_epoch: int = 1,
    parent: Path | None = None,
) -> list[dict[str, Any]]:
    """Epochs `start_epoch` … `args.epochs` of twin-search distillation (distill.py), a checkpoint and the dev
    figures after each, `<out>/best.json` naming the epoch with the best dev completion (the model RS or PPO
    should start from)."""
    tasks = list(ctx.tasks)
    cache = ctx.out_dir / "targets.jsonl"
    counts: dict[str, int] = {}
    if args.targets in ("repair", "rule-repair", "lean-repair", "polish"):
        start = {"rule-repair": "rule", "lean-repair": "lean-rule"}.get(args.targets, "model")
        moves = args.polish_moves if args.targets == "polish" else 0
        tasks, counts = repair_targets(
            policy, tasks, args.target_margin_db, cache, args.max_new_tokens, start=start, polish_moves=moves
        )
        print(f"distill: targets of {len(tasks)} tasks: {counts} (margin {args.target_margin_db} dB)")
    elif args.target_margin_db > 0:
        tasks, replaced = robust_targets(tasks, args.target_margin_db, cache)
        print(f"distill: {replaced} of {len(tasks)} targets are robust witnesses ({args.target_margin_db} dB)")
    data, used = teacher_sequences(policy, tasks)
    best_dev = _resumed_best(ctx, start_epoch)
    if start_epoch == 1 and ctx.dev_tasks:
        baseline = {"phase": "distill", "step": 0, **dev_metrics(policy, ctx), "distill/dev_baseline": True}
        ctx.record(baseline)
    history = []
    for epoch in range(start_epoch, args.epochs + 1):
        losses, seconds = distill_epoch(policy, optimizer, data, args, epoch)
        metrics: dict[str, Any] = {
            "phase": "distill",
            "step": epoch,
            "distill/pairs": len(used),
            "distill/skipped": len(ctx.tasks) - len(used),
            **{f"distill/targets_{kind}": n for kind, n in counts.items()},
            "losses/sft_first": losses[0],
            "losses/sft_last": losses[-1],
            "losses/sft_epoch": sum(losses) / len(losses),
            "time/train_s": seconds,
        }
        metrics.update(dev_metrics(policy, ctx))
        parent = ctx.checkpoint(f"distill-epoch-{epoch}", policy, optimizer, epoch, "distill", args, metrics, parent)
        metrics["checkpoint"] = str(parent)
        if _dev_key(metrics) > best_dev:
            best_dev = _dev_key(metrics)
            ctx.mark_best(parent, metrics)
        ctx.record(metrics)
        print(summary_line(metrics), flush=True)
        history.append(metrics)
    return history


def run_ppo(
    policy: Policy,
    optimizer: torch.optim.Optimizer,
    ctx: RunContext,
    args: PpoArgs,
    start_step: int = 1,
    parent: Path | None = None,
) -> list[dict[str, Any]]:
    """PPO iterations `start_step` … `args.steps`, a checkpoint every `save_every` steps, every `dev_every`
    steps and after the last (with dev tasks: their greedy completion every `dev_every` steps and after the
    last, the best checkpoint of the run, resumed parts included, named in `<out>/best.json`)."""
    history = []
    best_dev = _resumed_best(ctx, start_step)
    for step in range(start_step, args.steps + 1):
        metrics = ppo_iteration(policy, optimizer, ctx.tasks, ctx.prompts, ctx.scorer, args, step)
        measure = step % args.dev_every == 0 or step == args.steps
        if measure or step % args.save_every == 0:
            if measure:
                metrics.update(dev_metrics(policy, ctx))
            parent = ctx.checkpoint(f"ppo-step-{step:06d}", policy, optimizer, step, "ppo", args, metrics, parent)
            if measure and ctx.dev_tasks and _dev_key(metrics) > best_dev:
                best_dev = _dev_key(metrics)
                ctx.mark_best(parent, metrics)
        ctx.record(metrics)
        history.append(metrics)
    return history


# --------------------------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sixg_learner.training.train", description=__doc__.split("\n\n")[0])
    phases = parser.add_subparsers(dest="phase", required=True)
    rs = phases.add_parser("rs", help="rejection sampling (Section III-B)")
    rs.add_argument(
        "--base", type=Path, required=True, help="HF model folder, an sft checkpoint, or an rs checkpoint to resume"
    )
    ppo = phases.add_parser("ppo", help="PPO from the twin's feedback (Section III-C)")
    ppo.add_argument(
        "--init", type=Path, required=True, help="rs checkpoint, HF model folder, or a ppo checkpoint to resume"
    )
    add_sft_arguments(phases.add_parser("sft", help="domain instruction tuning on telecom Q&A (Section III-A)"))
    distill = phases.add_parser("distill", help="SFT on the twin's best grid plan per training task (distill.py)")
    distill.add_argument(
        "--base", type=Path, required=True, help="HF model folder, a checkpoint, or a distill checkpoint to resume"
    )
    distill.add_argument(
        "--fresh",
        action="store_true",
        help="a distill checkpoint as --base starts a new run from its adapters (fresh optimizer) instead of resuming",
    )
    for sub, cls in ((rs, RsArgs), (ppo, PpoArgs), (distill, DistillArgs)):
        sub.add_argument("--tasks", type=Path, required=True, help="task file (JSONL or JSON array, tasks/task.py)")
        sub.add_argument("--out", type=Path, required=True, help="folder for checkpoints and metrics.jsonl")
        sub.add_argument("--limit", type=int, default=None, help="use only the task file's first N tasks")
        sub.add_argument(
            "--skip", type=int, default=0, help="leave out the task file's first N tasks (before --limit applies)"
        )
        sub.add_argument(
            "--dev-tasks", type=Path, default=None, help="held-out dev tasks: greedy completion decides when RS stops"
        )
        sub.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
        sub.add_argument(
            "--device", default="cpu", help="torch device of the model and its tensors, e.g. cuda (default: cpu)"
        )
        add_dataclass_arguments(sub, cls)
    return parser


def progress_line(metrics: dict[str, Any]) -> str:
    """One line per step: the numbers to watch, then where the time went."""
    head = f"{metrics['phase']} {metrics['step']:>4}"
    shown = {
        "reward": "charts/mean_reward",
        "success": "charts/success_rate",
        "valid": "charts/valid_rate",
        "kept": "rs/kept",
        "sft": "losses/sft_last_epoch",
        "policy": "losses/policy",
        "value": "losses/value",
        "entropy": "losses/entropy",
        "kl_ref": "losses/kl_ref",
        "clip": "losses/clip_fraction",
        "dev": "dev/completion",
    }
    numbers = [f"{label} {metrics[key]:.4g}" for label, key in shown.items() if metrics.get(key) is not None]
    times = [f"{key[5:-2]} {value:.1f}s" for key, value in metrics.items() if key.startswith("time/")]
    return f"{head}  " + "  ".join(numbers) + "  |  " + "  ".join(times)


def main(argv: list[str] | None = None) -> int:
    cli = build_parser().parse_args(argv)
    # progress of the long parts (sampling chunks) on stdout: the learner worker heartbeats its last line
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    logging.getLogger("sixg_learner").addHandler(handler)
    logging.getLogger("sixg_learner").setLevel(logging.INFO)
    if cli.threads is not None:
        torch.set_num_threads(cli.threads)
    if cli.phase == "sft":
        if cli.prompt is not None:
            raise SystemExit(
                "train sft learns the domain Q&A, which has no task prompt: --prompt is for the other phases"
            )
        return run_from_cli(cli)
    cls: type[RsArgs | PpoArgs | DistillArgs] = {"rs": RsArgs, "ppo": PpoArgs, "distill": DistillArgs}[cli.phase]
    args = cls(**{f.name: getattr(cli, f.name) for f in dataclasses.fields(cls)})
    tasks = load_tasks(cli.tasks)[cli.skip :][: cli.limit]
    source: Path = cli.init if cli.phase == "ppo" else cli.base

    # The policy: resume a checkpoint of this phase, start from another phase's adapters, or from new ones.
    begun = start_from(
        source, cli.phase, LoraSettings(r=args.lora_r, alpha=args.lora_alpha), getattr(cli, "fresh", False)
    )
    policy, start, parent = begun.policy, begun.step, begun.parent
    best = begun.resumed_metrics.get("charts/success_rate", -1.0)
    best_dev = {k: v for k, v in begun.resumed_metrics.items() if k.startswith("dev/")}
    if args.prompt is not None and args.prompt != policy.prompt:
        if start > 1:  # a resumed run: its first steps were trained with the checkpoint's prompt
            raise SystemExit(f"{source} was trained with the {policy.prompt} prompt: resume it with that one")
        policy.prompt = args.prompt  # e.g. the shipped (plain) model trained further with the link budget
    if cli.device != "cpu":
        place_policy(policy, cli.device)  # before the optimizer, whose state lives beside the parameters
    optimizer = make_optimizer(policy, args.learning_rate)
    if begun.optimizer_state is not None:
        optimizer.load_state_dict(begun.optimizer_state)

    ctx = RunContext(
        tasks=tasks,
        prompts=chat_prompts(tasks, policy),
        scorer=TwinScorer(),
        out_dir=cli.out,
        dataset=cli.tasks,
        dataset_sha256=hashlib.sha256(tasks_jsonl(tasks).encode()).hexdigest(),
        log=lambda metrics: print(progress_line(metrics), flush=True),
        max_new_tokens=args.max_new_tokens,
        constrained=bool(args.constrained) if isinstance(args, LoopArgs) else True,  # distillation: always
    )
    if cli.dev_tasks is not None:
        ctx.dev_tasks = load_tasks(cli.dev_tasks)
        ctx.dev_prompts = chat_prompts(ctx.dev_tasks, policy)
    print(f"{cli.phase}: {len(tasks)} tasks, from {source}, steps {start}..", flush=True)
    if isinstance(args, DistillArgs):
        history = run_distill(policy, optimizer, ctx, args, start, parent)
    elif isinstance(args, RsArgs):
        history = run_rejection_sampling(policy, optimizer, ctx, args, start, parent, best, best_dev or None)
    else:
        history = run_ppo(policy, optimizer, ctx, args, start, parent)
    saved = [m["checkpoint"] for m in history if "checkpoint" in m]
    print(json.dumps({"steps": len(history), "last_checkpoint": saved[-1] if saved else None}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
