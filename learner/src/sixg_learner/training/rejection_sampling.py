"""Rejection sampling (RLDTF paper, Section III-B): train the initial model on its own answers that work.

One round: 1. sample k answers per task; 2. the twin scores them (eq. 2) and only the distinct
(task, answer) pairs whose QoS meets the task's requirement are kept; 3. supervised fine-tuning of
the adapters on the kept pairs, the loss on answer tokens only (the prompt is not learned). The
paper iterates "until the success rate of valid orchestrations stops growing": a round whose
success rate is not above the best before it trains nothing (`train.run_rejection_sampling` then
stops: patience 1).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from sixg_learner.generation.grammar import StateLimits
from sixg_learner.generation.policy import (
    Policy,
    PrefixKV,
    Rollout,
    Sequences,
    answer_actions,
    derive_seed,
    forward,
    sample,
    select_rollout,
)
from sixg_learner.tasks.scoring import Score, Scorer
from sixg_learner.tasks.task import Task
from sixg_learner.training.args import DistillArgs, RsArgs
from sixg_learner.training.ppo import choice_mask, masked_mean, token_logprobs
from sixg_learner.training.updates import backward_in_microbatches, minibatches

log = logging.getLogger(__name__)

SftStepArgs = RsArgs | DistillArgs
"""What an SFT step reads: the micro-batch size and the gradient clip."""


def sft_loss(policy: Policy, rollout: Rollout | Sequences, prefix: PrefixKV | None = None) -> Tensor:
    """Masked LM loss: −mean log π(a_t | s_t) over the answers' choice tokens (the prompt is not learned)."""
    seqs = rollout.sequences if isinstance(rollout, Rollout) else rollout
    logits, _ = forward(policy, seqs, prefix=prefix)
    return -masked_mean(token_logprobs(logits, answer_actions(seqs)), choice_mask(seqs.response_mask, seqs.allowed))


def sft_step(
    policy: Policy, optimizer: torch.optim.Optimizer, kept: Rollout | Sequences, rows: list[int], args: SftStepArgs
) -> float:
    """One SFT gradient step on some of the kept answers (or any answers); returns their loss (before the step)."""
    seqs = kept.sequences if isinstance(kept, Rollout) else kept
    parts: list[tuple[float, float]] = []  # (loss, answer tokens) per micro-batch

    def micro_loss(micro_rows: list[int], micro: Sequences, prefix: PrefixKV | None) -> Tensor:
        loss = sft_loss(policy, micro, prefix)
        parts.append((loss.item(), micro.response_mask.sum().item()))
        return loss

    optimizer.zero_grad()
    backward_in_microbatches(policy, seqs, rows, args.microbatch_size, micro_loss)
    torch.nn.utils.clip_grad_norm_(policy.trainable_parameters(), args.max_grad_norm)
    optimizer.step()
    return sum(loss * n for loss, n in parts) / sum(n for _, n in parts)


def supervised_finetune(
    policy: Policy, optimizer: torch.optim.Optimizer, kept: Rollout, args: RsArgs, seed: int
) -> list[float]:
    """SFT of the adapters on (prompt, answer) pairs, `sft_epochs` passes in seeded minibatches; the losses."""
    generator = torch.Generator().manual_seed(seed)
    batches = [
        rows for _ in range(args.sft_epochs) for rows in minibatches(len(kept.texts), args.minibatch_size, generator)
    ]
    losses: list[float] = []
    started = time.perf_counter()
    for step, rows in enumerate(batches, start=1):
        losses.append(sft_step(policy, optimizer, kept, rows, args))
        if step % 10 == 0 or step == len(batches):  # the worker heartbeats the last line; a person reads it
            recent = losses[-10:]
            log.info(
                "sft %d/%d steps, loss %.4f (last %d), %.0f s",
                step, len(batches), sum(recent) / len(recent), len(recent), time.perf_counter() - started,
            )  # fmt: skip
    return losses


def keep_rows(rollout: Rollout, scores: Sequence[Score], keep: str) -> list[int]:
    """The rows a round fine-tunes on (RsArgs.keep): distinct satisfying answers, or the best one per task."""
    if keep not in ("all", "best"):
        raise ValueError(f"keep must be 'all' or 'best', got {keep!r}")
    best: dict[int, int] = {}
    kept_rows, seen = [], set()
    for row, score in enumerate(scores):
        prompt = rollout.prompt_index[row]
        pair = (prompt, rollout.texts[row])
        if not score.satisfied or pair in seen:
            continue
        seen.add(pair)
        kept_rows.append(row)
        if prompt not in best or score.reward > scores[best[prompt]].reward:
            best[prompt] = row
    return kept_rows if keep == "all" else sorted(best.values())


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
    rollout = sample(
        policy,
        prompts,
        args.k,
        args.max_new_tokens,
        args.temperature,
        seed,
        score=False,
        constrained=bool(args.constrained),
        limits=[StateLimits.of(task.radio()) for task in tasks],
    )
    sampled = time.perf_counter()
    # 2. the twin's verdict; keep the distinct (task, answer) pairs that meet the QoS
    scores = scorer.score([tasks[i] for i in rollout.prompt_index], rollout.texts)
    kept_rows = keep_rows(rollout, scores, args.keep)
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
