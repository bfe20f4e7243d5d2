"""RLDTF training of the 6G-LLM (paper Section III): rejection sampling, then PPO from the twin's feedback.

    python -m sixg_learner.train rs  --tasks F --base DIR --out DIR [--k 4 --rounds 3 ...]
    python -m sixg_learner.train ppo --tasks F --init DIR --out DIR [--steps N --k 4 ...]

**Rejection sampling** (III-B), one round: 1. sample k answers per task; 2. the twin scores them
(eq. 2) and only those meeting the task's QoS are kept; 3. supervised fine-tuning of the adapters on
the kept (prompt, answer) pairs, the loss on answer tokens only. Rounds repeat until the success
rate stops growing (patience 1) or `rounds` is reached.

**PPO** (III-C), one iteration: 1. rollout: k answers per task from π_θold; 2. twin reward (eq. 2);
3. token weights (eqs. 3–5) for a bounded subset of answers; 4. advantages A_t = R − V_φ(s_t)
(eq. 6); 5. a few epochs of minibatch updates of L_total (eq. 9) = L_policy (6) + k₁·L_value (7) +
k₂·L_reg (8), with π_θold's log-probs and values fixed; 6. every `ref_refresh_steps` steps the
reference π_ref ← π_θ (the paper: at checkpoint-saving intervals).

Every step is a pure function of the state at its start and of (seed, step): the sampling seed,
the minibatch order and the perturbations are derived from them, so resuming from a checkpoint
continues with exactly the numbers an uninterrupted run would have had.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from .checkpoints import is_checkpoint, load_checkpoint, make_lineage, restore_rng, save_checkpoint
from .policy import (
    LoraSettings,
    Policy,
    PrefixKV,
    Rollout,
    Sequences,
    answer_actions,
    backward_in_microbatches,
    forward,
    load_policy,
    prefix_kv,
    refresh_reference,
    sample,
    select_rollout,
    using_reference,
)
from .ppo import (
    masked_mean,
    policy_loss,
    regularization,
    token_advantages,
    token_entropy,
    token_kl,
    token_logprobs,
    total_loss,
    value_loss,
)
from .reward import FAILURE_REWARD
from .scoring import Scorer
from .tasks import Task
from .token_weights import CachedTextReward, token_sensitivity, token_weights


@dataclass
class RsArgs:
    """Rejection sampling (Section III-B)."""

    seed: int = field(default=1, metadata={"help": "seed of every random choice (sampling, SFT order)"})
    k: int = field(default=4, metadata={"help": "answers sampled per task and round"})
    rounds: int = field(default=3, metadata={"help": "most rounds (fewer when the success rate stops growing)"})
    max_new_tokens: int = field(default=128, metadata={"help": "longest answer, tokens"})
    temperature: float = field(default=0.7, metadata={"help": "sampling temperature"})
    sft_epochs: int = field(default=2, metadata={"help": "passes over a round's kept pairs"})
    minibatch_size: int = field(default=8, metadata={"help": "answers per SFT gradient step"})
    microbatch_size: int = field(default=4, metadata={"help": "answers per forward/backward (memory bound)"})
    learning_rate: float = field(default=2e-4, metadata={"help": "AdamW learning rate of the adapters"})
    max_grad_norm: float = field(default=1.0, metadata={"help": "gradient norm clip"})
    lora_r: int = field(default=16, metadata={"help": "LoRA rank (new adapters only)"})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA alpha (new adapters only)"})


@dataclass
class PpoArgs:
    """PPO from the twin's feedback (Section III-C)."""

    seed: int = field(default=1, metadata={"help": "seed of every random choice"})
    steps: int = field(default=100, metadata={"help": "last PPO iteration (a resumed run continues up to it)"})
    k: int = field(default=4, metadata={"help": "answers sampled per task and step"})
    tasks_per_step: int = field(default=8, metadata={"help": "tasks per iteration (cycling through the task file)"})
    max_new_tokens: int = field(default=128, metadata={"help": "longest answer, tokens"})
    temperature: float = field(default=1.0, metadata={"help": "the policy is softmax(logits / temperature)"})
    ppo_epochs: int = field(default=2, metadata={"help": "passes over a rollout"})
    minibatch_size: int = field(default=8, metadata={"help": "answers per gradient step"})
    microbatch_size: int = field(default=4, metadata={"help": "answers per forward/backward (memory bound)"})
    learning_rate: float = field(default=5e-5, metadata={"help": "AdamW learning rate (adapters, value head)"})
    max_grad_norm: float = field(default=1.0, metadata={"help": "gradient norm clip"})
    clip_eps: float = field(default=0.2, metadata={"help": "ε of eq. (6)"})
    k1: float = field(default=0.5, metadata={"help": "k₁ of eq. (9): value loss weight"})
    k2: float = field(default=1.0, metadata={"help": "k₂ of eq. (9): regularisation weight"})
    beta_ent: float = field(default=0.001, metadata={"help": "β_ent of eq. (8): entropy bonus"})
    beta_kl: float = field(default=0.05, metadata={"help": "β_KL of eq. (8): KL to the reference"})
    tw_alpha: float = field(default=1.0, metadata={"help": "α of eq. (5); 0 turns token weighting off"})
    tw_lambda: float = field(default=1e-3, metadata={"help": "λ of eq. (5)"})
    tw_threshold: float = field(default=0.01, metadata={"help": "weight only tokens with S_t above this"})
    tw_perturbations: int = field(default=2, metadata={"help": "N of eq. (4): perturbations per token"})
    tw_max_answers: int = field(default=4, metadata={"help": "answers per step that get token weights"})
    ref_refresh_steps: int = field(default=10, metadata={"help": "π_ref ← π_θ every this many steps"})
    save_every: int = field(default=10, metadata={"help": "checkpoint every this many steps (and the last)"})
    lora_r: int = field(default=16, metadata={"help": "LoRA rank (new adapters only)"})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA alpha (new adapters only)"})


def derive_seed(seed: int, phase: str, step: int) -> int:
    """A seed for one step of one phase: steps are independent of what ran before them."""
    digest = hashlib.sha256(f"{seed}:{phase}:{step}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def make_optimizer(policy: Policy, learning_rate: float) -> torch.optim.AdamW:
    return torch.optim.AdamW(policy.trainable_parameters(), lr=learning_rate)


def rows_of_tasks(rollout: Rollout, tasks: Sequence[Task]) -> list[Task]:
    """The task of every answer of a rollout sampled from `tasks`' prompts."""
    return [tasks[i] for i in rollout.prompt_index]


# --------------------------------------------------------------------------------------------------------------------
# Rejection sampling (Section III-B)
# --------------------------------------------------------------------------------------------------------------------


def sft_loss(policy: Policy, rollout: Rollout | Sequences, prefix: PrefixKV | None = None) -> Tensor:
    """Masked LM loss: −mean log π(a_t | s_t) over the answers' tokens (the prompt is not learned)."""
    seqs = rollout.sequences if isinstance(rollout, Rollout) else rollout
    logits, _ = forward(policy, seqs, prefix=prefix)
    return -masked_mean(token_logprobs(logits, answer_actions(seqs)), seqs.response_mask)


def minibatches(n: int, size: int, generator: torch.Generator) -> list[list[int]]:
    order = torch.randperm(n, generator=generator).tolist()
    return [order[i : i + size] for i in range(0, n, size)]


def sft_step(policy: Policy, optimizer: torch.optim.Optimizer, kept: Rollout, rows: list[int], args: RsArgs) -> float:
    """One SFT gradient step on some of the kept answers; returns their loss (before the step)."""
    parts: list[tuple[float, float]] = []  # (loss, answer tokens) per micro-batch

    def micro_loss(micro_rows: list[int], micro: Sequences, prefix: PrefixKV | None) -> Tensor:
        loss = sft_loss(policy, micro, prefix)
        parts.append((loss.item(), micro.response_mask.sum().item()))
        return loss

    optimizer.zero_grad()
    backward_in_microbatches(policy, kept.sequences, rows, args.microbatch_size, micro_loss)
    torch.nn.utils.clip_grad_norm_(policy.trainable_parameters(), args.max_grad_norm)
    optimizer.step()
    return sum(loss * n for loss, n in parts) / sum(n for _, n in parts)


def supervised_finetune(
    policy: Policy, optimizer: torch.optim.Optimizer, kept: Rollout, args: RsArgs, seed: int
) -> list[float]:
    """SFT of the adapters on (prompt, answer) pairs, `sft_epochs` passes in seeded minibatches; the losses."""
    generator = torch.Generator().manual_seed(seed)
    return [
        sft_step(policy, optimizer, kept, rows, args)
        for _ in range(args.sft_epochs)
        for rows in minibatches(len(kept.texts), args.minibatch_size, generator)
    ]


def rs_round(
    policy: Policy,
    optimizer: torch.optim.Optimizer,
    tasks: Sequence[Task],
    prompts: Sequence[str],
    scorer: Scorer,
    args: RsArgs,
    round_index: int,
    best_success_rate: float = -1.0,
) -> tuple[dict[str, Any], Rollout]:
    """One round: sample, keep the answers that meet their task's QoS, SFT on them; returns metrics and the kept.

    The SFT is skipped, and the round marked `rs/stopped`, when nothing is kept or the success rate
    is not above `best_success_rate` (an earlier round's): the paper iterates "until the success rate
    of valid orchestrations stops growing".
    """
    seed = derive_seed(args.seed, "rs", round_index)
    started = time.perf_counter()
    # 1. sample k answers per task
    rollout = sample(policy, prompts, args.k, args.max_new_tokens, args.temperature, seed, score=False)
    sampled = time.perf_counter()
    # 2. the twin's verdict; keep the distinct (task, answer) pairs that meet the QoS
    scores = scorer.score(rows_of_tasks(rollout, tasks), rollout.texts)
    kept_rows, seen = [], set()
    for row, score in enumerate(scores):
        pair = (rollout.prompt_index[row], rollout.texts[row])
        if score.satisfied and pair not in seen:
            kept_rows.append(row)
            seen.add(pair)
    kept = select_rollout(rollout, kept_rows)
    scored = time.perf_counter()
    success_rate = sum(s.satisfied for s in scores) / len(scores)
    stopped = not kept_rows or success_rate <= best_success_rate
    # 3. SFT on the kept pairs
    losses = [] if stopped else supervised_finetune(policy, optimizer, kept, args, seed)
    per_epoch = max(1, len(losses) // args.sft_epochs)
    metrics = {
        "phase": "rs",
        "step": round_index,
        "charts/success_rate": success_rate,
        "charts/valid_rate": sum(s.valid for s in scores) / len(scores),
        "charts/mean_reward": sum(s.reward for s in scores) / len(scores),
        "charts/answer_tokens": float(rollout.sequences.response_mask.sum(1).mean()),
        "rs/sampled": len(scores),
        "rs/kept": len(kept_rows),
        "rs/stopped": stopped,
        "losses/sft_first_epoch": sum(losses[:per_epoch]) / per_epoch if losses else None,
        "losses/sft_last_epoch": sum(losses[-per_epoch:]) / per_epoch if losses else None,
        "time/sample_s": sampled - started,
        "time/twin_s": scored - sampled,
        "time/sft_s": time.perf_counter() - scored,
    }
    return metrics, kept


# --------------------------------------------------------------------------------------------------------------------
# PPO (Section III-C)
# --------------------------------------------------------------------------------------------------------------------


def tasks_for_step(num_tasks: int, tasks_per_step: int, seed: int, step: int) -> list[int]:
    """Indices of the tasks of a step: the task file in a fresh seeded order per pass, `tasks_per_step` at a time."""
    per_step = min(tasks_per_step, num_tasks)
    chosen = []
    for position in range((step - 1) * per_step, step * per_step):
        order = list(range(num_tasks))
        random.Random(derive_seed(seed, "task-order", position // num_tasks)).shuffle(order)
        chosen.append(order[position % num_tasks])
    return chosen


def answer_token_weights(
    policy: Policy,
    rollout: Rollout,
    row_tasks: Sequence[Task],
    rewards: Tensor,
    scorer: Scorer,
    args: PpoArgs,
    rng: random.Random,
) -> tuple[Tensor, dict[str, Any]]:
    """Eqs. (3)–(5) for at most `tw_max_answers` answers; weight 1 everywhere else. Returns (B, G) weights.

    Budget: eq. (4) costs T·N reward evaluations per answer. Only answers that parsed into a plan the
    twin ran (reward > FAILURE_REWARD) are candidates: an invalid answer's perturbations are nearly
    all invalid too (S_t ≈ 0, weights 1, twin calls for nothing). Among them `tw_max_answers` are
    drawn at random. Each answer's rewards are cached by decoded text (`CachedTextReward`), and the
    scorer caches twin results by plan, so only distinct plans reach the twin.
    """
    weights = torch.ones_like(rollout.logprobs)
    candidates = [row for row in range(len(rollout.texts)) if rewards[row] > FAILURE_REWARD]
    if args.tw_alpha == 0 or not candidates:
        return weights, {"token_weights/answers": 0, "token_weights/reward_calls": 0, "token_weights/texts": 0}
    chosen = sorted(rng.sample(candidates, min(args.tw_max_answers, len(candidates))))
    calls = texts = 0
    weighted = []
    for row in chosen:
        task = row_tasks[row]
        reward_fn = CachedTextReward(
            decode=lambda ids: policy.tokenizer.decode(list(ids), skip_special_tokens=True),
            text_reward=lambda text, task=task: scorer.text_reward(task, text),
        )
        ids = rollout.answer_ids[row]
        sensitivity = token_sensitivity(ids, reward_fn, args.tw_perturbations, rng, base_reward=float(rewards[row]))
        w = token_weights(sensitivity, args.tw_alpha, args.tw_lambda, args.tw_threshold)
        weights[row, : len(w)] = torch.tensor(w)  # the end-of-text token keeps weight 1
        calls, texts = calls + reward_fn.calls, texts + len(reward_fn.cache)
        weighted.extend(w)
    stats = {
        "token_weights/answers": len(chosen),
        "token_weights/reward_calls": calls,
        "token_weights/texts": texts,
        "token_weights/mean": sum(weighted) / len(weighted) if weighted else 1.0,
        "token_weights/share_above_1": sum(w > 1 for w in weighted) / len(weighted) if weighted else 0.0,
    }
    return weights, stats


def ppo_iteration(
    policy: Policy,
    optimizer: torch.optim.Optimizer,
    tasks: Sequence[Task],
    prompts: Sequence[str],
    scorer: Scorer,
    args: PpoArgs,
    step: int,
) -> dict[str, Any]:
    """One PPO iteration (module docstring); returns its metrics."""
    seed = derive_seed(args.seed, "ppo", step)
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[f"time/{name}_s"] = now - clock
        clock = now

    # 1. rollout: k answers per task from π_θold
    task_index = tasks_for_step(len(tasks), args.tasks_per_step, args.seed, step)
    step_tasks = [tasks[i] for i in task_index]
    rollout = sample(policy, [prompts[i] for i in task_index], args.k, args.max_new_tokens, args.temperature, seed)
    mask = rollout.sequences.response_mask  # (B, G)
    lap("rollout")
    # 2. twin reward, eq. (2)
    row_tasks = rows_of_tasks(rollout, step_tasks)
    scores = scorer.score(row_tasks, rollout.texts)
    rewards = torch.tensor([s.reward for s in scores])  # (B,)
    lap("reward")
    # 3. token weights, eqs. (3)–(5)
    weights, weight_stats = answer_token_weights(policy, rollout, row_tasks, rewards, scorer, args, rng)
    lap("token_weights")
    # 4. advantages A_t = R − V_φ(s_t), eq. (6), with the critic of the rollout
    advantages = token_advantages(rewards, rollout.values) * mask  # (B, G)
    # 5. PPO epochs on L_total, eq. (9), with π_θold's log-probs fixed; π_ref's prefix is run once
    prefix_ids = rollout.sequences.prefix_ids
    with using_reference(policy):
        ref_prefix = prefix_kv(policy, prefix_ids) if len(prefix_ids) else None
    generator = torch.Generator().manual_seed(seed)
    history: dict[str, list[tuple[float, float]]] = {}  # name → (value, answer tokens) per micro-batch

    def micro_loss(rows: list[int], mb: Sequences, prefix: PrefixKV | None) -> Tensor:
        index, width, mb_mask = torch.tensor(rows), mb.answer_len, mb.response_mask  # mask (b, g)
        with using_reference(policy):
            logits_ref, _ = forward(policy, mb, args.temperature, ref_prefix)  # (b, g, V)
        logits, values = forward(policy, mb, args.temperature, prefix)  # (b, g, V), (b, g)
        logp = token_logprobs(logits, answer_actions(mb))
        logp_old = rollout.logprobs[index, :width]
        l_policy = policy_loss(
            logp, logp_old, advantages[index, :width], weights[index, :width], mb_mask, args.clip_eps
        )
        l_value = value_loss(values, rewards[index], mb_mask)
        l_reg = regularization(logits, logits_ref, mb_mask, args.beta_ent, args.beta_kl)
        loss = total_loss(l_policy, l_value, l_reg, args.k1, args.k2)
        with torch.no_grad():
            log_ratio = logp.detach() - logp_old
            tokens = float(mb_mask.sum())
            for name, value in {
                "losses/policy": l_policy,
                "losses/value": l_value,
                "losses/reg": l_reg,
                "losses/total": loss,
                "losses/entropy": masked_mean(token_entropy(logits.detach()), mb_mask),
                "losses/kl_ref": masked_mean(token_kl(logits.detach(), logits_ref), mb_mask),
                "losses/approx_kl_old": masked_mean(log_ratio.exp() - 1 - log_ratio, mb_mask),
                "losses/clip_fraction": masked_mean(((log_ratio.exp() - 1).abs() > args.clip_eps).float(), mb_mask),
            }.items():
                history.setdefault(name, []).append((float(value), tokens))
        return loss

    for _ in range(args.ppo_epochs):
        for rows in minibatches(len(scores), args.minibatch_size, generator):
            optimizer.zero_grad()
            backward_in_microbatches(policy, rollout.sequences, rows, args.microbatch_size, micro_loss)
            torch.nn.utils.clip_grad_norm_(policy.trainable_parameters(), args.max_grad_norm)
            optimizer.step()
    lap("update")
    # 6. π_ref ← π_θ at the refresh interval
    refreshed = step % args.ref_refresh_steps == 0
    if refreshed:
        refresh_reference(policy)
    return {
        "phase": "ppo",
        "step": step,
        "charts/mean_reward": float(rewards.mean()),
        "charts/success_rate": sum(s.satisfied for s in scores) / len(scores),
        "charts/valid_rate": sum(s.valid for s in scores) / len(scores),
        "charts/answer_tokens": float(mask.sum(1).mean()),
        **{name: sum(v * n for v, n in parts) / sum(n for _, n in parts) for name, parts in history.items()},
        **weight_stats,
        "reference_refreshed": refreshed,
        **timings,
    }


# --------------------------------------------------------------------------------------------------------------------
# Runs: loops, checkpoints and metrics
# --------------------------------------------------------------------------------------------------------------------


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

    def record(self, metrics: dict[str, Any]) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with (self.out_dir / "metrics.jsonl").open("a") as f:
            f.write(json.dumps(metrics) + "\n")
        self.log(metrics)


def run_rejection_sampling(
    policy: Policy,
    optimizer: torch.optim.Optimizer,
    ctx: RunContext,
    args: RsArgs,
    start_round: int = 1,
    parent: Path | None = None,
    best_success_rate: float = -1.0,
) -> list[dict[str, Any]]:
    """Rounds until the success rate stops growing (patience 1) or `args.rounds`; a checkpoint after each SFT.

    Round r measures the model round r − 1 trained. A round that does no better than the best before
    it (or keeps nothing) trains nothing and ends the run: the last checkpoint is the result.
    """
    history: list[dict[str, Any]] = []
    best = best_success_rate
    for round_index in range(start_round, args.rounds + 1):
        metrics, _ = rs_round(policy, optimizer, ctx.tasks, ctx.prompts, ctx.scorer, args, round_index, best)
        best = max(best, metrics["charts/success_rate"])
        if not metrics["rs/stopped"]:
            directory = ctx.out_dir / f"rs-round-{round_index}"
            lineage = make_lineage(policy, ctx.dataset, ctx.dataset_sha256, parent, round_index, "rs")
            save_checkpoint(directory, policy, optimizer, round_index, asdict(args), lineage, metrics)
            metrics["checkpoint"] = str(directory)
            parent = directory
        ctx.record(metrics)
        history.append(metrics)
        if metrics["rs/stopped"]:
            break
    return history


def run_ppo(
    policy: Policy,
    optimizer: torch.optim.Optimizer,
    ctx: RunContext,
    args: PpoArgs,
    start_step: int = 1,
    parent: Path | None = None,
) -> list[dict[str, Any]]:
    """PPO iterations `start_step` … `args.steps`, a checkpoint every `save_every` steps and after the last."""
    history = []
    for step in range(start_step, args.steps + 1):
        metrics = ppo_iteration(policy, optimizer, ctx.tasks, ctx.prompts, ctx.scorer, args, step)
        if step % args.save_every == 0 or step == args.steps:
            directory = ctx.out_dir / f"ppo-step-{step:06d}"
            lineage = make_lineage(policy, ctx.dataset, ctx.dataset_sha256, parent, step, "ppo")
            save_checkpoint(directory, policy, optimizer, step, asdict(args), lineage, metrics)
            metrics["checkpoint"] = str(directory)
            parent = directory
        ctx.record(metrics)
        history.append(metrics)
    return history


# --------------------------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------------------------


def add_dataclass_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    for f in dataclasses.fields(cls):
        parser.add_argument(
            f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default, help=f.metadata["help"]
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sixg_learner.train", description=__doc__.split("\n\n")[0])
    phases = parser.add_subparsers(dest="phase", required=True)
    rs = phases.add_parser("rs", help="rejection sampling (Section III-B)")
    rs.add_argument("--base", type=Path, required=True, help="HF model folder, or an rs checkpoint to resume")
    ppo = phases.add_parser("ppo", help="PPO from the twin's feedback (Section III-C)")
    ppo.add_argument(
        "--init", type=Path, required=True, help="rs checkpoint, HF model folder, or a ppo checkpoint to resume"
    )
    for sub, cls in ((rs, RsArgs), (ppo, PpoArgs)):
        sub.add_argument("--tasks", type=Path, required=True, help="task file (JSONL or JSON array, tasks.py)")
        sub.add_argument("--out", type=Path, required=True, help="folder for checkpoints and metrics.jsonl")
        sub.add_argument("--limit", type=int, default=None, help="use only the task file's first N tasks")
        sub.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
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
    }
    numbers = [f"{label} {metrics[key]:.4g}" for label, key in shown.items() if metrics.get(key) is not None]
    times = [f"{key[5:-2]} {value:.1f}s" for key, value in metrics.items() if key.startswith("time/")]
    return f"{head}  " + "  ".join(numbers) + "  |  " + "  ".join(times)


def chat_prompts(tasks: Sequence[Task], policy: Policy) -> list[str]:
    """The one-shot prompt of every task (`prompting.build_messages`) through the model's chat template."""
    from .prompting import build_messages

    return [
        policy.tokenizer.apply_chat_template(build_messages(task), tokenize=False, add_generation_prompt=True)
        for task in tasks
    ]


def main(argv: list[str] | None = None) -> int:
    from .scoring import TwinScorer
    from .tasks import load_tasks, tasks_jsonl

    cli = build_parser().parse_args(argv)
    if cli.threads is not None:
        torch.set_num_threads(cli.threads)
    cls = RsArgs if cli.phase == "rs" else PpoArgs
    args = cls(**{f.name: getattr(cli, f.name) for f in dataclasses.fields(cls)})
    tasks = load_tasks(cli.tasks)[: cli.limit]
    source: Path = cli.base if cli.phase == "rs" else cli.init

    # The policy: resume a checkpoint of this phase, start from another phase's adapters, or from new ones.
    start, best, parent = 1, -1.0, None
    optimizer_state = None
    if is_checkpoint(source):
        checkpoint = load_checkpoint(source)
        policy, parent = checkpoint.policy, source
        if checkpoint.phase == cli.phase:
            start, optimizer_state = checkpoint.step + 1, checkpoint.optimizer_state
            restore_rng(source)
            best = (checkpoint.metrics or {}).get("charts/success_rate", -1.0)
        else:
            refresh_reference(policy)  # π_ref starts as the model PPO starts from
    else:
        policy = load_policy(source, LoraSettings(r=args.lora_r, alpha=args.lora_alpha))
    optimizer = make_optimizer(policy, args.learning_rate)
    if optimizer_state is not None:
        optimizer.load_state_dict(optimizer_state)

    ctx = RunContext(
        tasks=tasks,
        prompts=chat_prompts(tasks, policy),
        scorer=TwinScorer(),
        out_dir=cli.out,
        dataset=cli.tasks,
        dataset_sha256=hashlib.sha256(tasks_jsonl(tasks).encode()).hexdigest(),
        log=lambda metrics: print(progress_line(metrics), flush=True),
    )
    print(f"{cli.phase}: {len(tasks)} tasks, from {source}, steps {start}..", flush=True)
    if isinstance(args, RsArgs):
        history = run_rejection_sampling(policy, optimizer, ctx, args, start, parent, best)
    else:
        history = run_ppo(policy, optimizer, ctx, args, start, parent)
    saved = [m["checkpoint"] for m in history if "checkpoint" in m]
    print(json.dumps({"steps": len(history), "last_checkpoint": saved[-1] if saved else None}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
