"""Reinforcement learning from the twin's feedback (RLDTF paper, Section III-C): one PPO iteration.

1. rollout: k answers per task from π_θold (the actor as it is at the start of the iteration);
2. twin reward R (eq. 2) per answer;
3. token weights w_t (eqs. 3–5) for a bounded subset of answers, 1 elsewhere;
4. advantages A_t = R − V_φ(s_t) (eq. 6), with the critic's values at rollout time, whitened over the
   batch's choice tokens (the values' tokens under the grammar; forced tokens carry no gradient);
5. `ppo_epochs` passes of minibatch updates of L_total (eq. 9) = L_policy (6) + k₁·L_value (7) +
   k₂·L_reg (8), π_θold's log-probs and values fixed, the KL of eq. (8) taken against π_ref;
6. every `ref_refresh_steps` iterations, π_ref ← π_θ (the paper: at checkpoint-saving intervals).

The first `critic_warmup_steps` iterations train the critic alone (eq. 7): the value head starts at
zero, and an untrained critic makes every advantage the raw reward. With `critic_backbone` = 0 the value
loss trains the head alone (`policy.ValueHead.trains_backbone`), and a warm-up leaves the policy as it was.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from sixg_learner.generation.grammar import MASKED_LOGIT, StateLimits, grammar_for, support_logits
from sixg_learner.generation.policy import (
    Policy,
    PrefixKV,
    Rollout,
    Sequences,
    answer_actions,
    derive_seed,
    forward,
    prefix_kv,
    refresh_reference,
    sample,
    using_reference,
)
from sixg_learner.tasks.reward import FAILURE_REWARD
from sixg_learner.tasks.scoring import Scorer
from sixg_learner.tasks.task import Task
from sixg_learner.training.args import PpoArgs
from sixg_learner.training.ppo import (
    choice_mask,
    group_advantages,
    masked_mean,
    policy_loss,
    regularization,
    token_advantages,
    token_entropy,
    token_kl,
    token_logprobs,
    total_loss,
    value_loss,
    whiten,
)
from sixg_learner.training.token_weights import CachedTextReward, token_sensitivity, token_weights
from sixg_learner.training.updates import backward_in_microbatches, minibatches


def tasks_for_step(num_tasks: int, tasks_per_step: int, seed: int, step: int) -> list[int]:
    """Indices of the tasks of a step: the task file in a fresh seeded order per pass, `tasks_per_step` at a time."""
    per_step = min(tasks_per_step, num_tasks)
    orders: dict[int, list[int]] = {}
    chosen = []
    for position in range((step - 1) * per_step, step * per_step):
        epoch = position // num_tasks
        if epoch not in orders:
            orders[epoch] = list(range(num_tasks))
            random.Random(derive_seed(seed, "task-order", epoch)).shuffle(orders[epoch])
        chosen.append(orders[epoch][position % num_tasks])
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
    grammar = grammar_for(policy.tokenizer) if rollout.sequences.allowed is not None else None
    calls = texts = 0
    weighted = []
    for row in chosen:
        task = row_tasks[row]
        reward_fn = CachedTextReward(
            decode=lambda ids: policy.tokenizer.decode(list(ids), skip_special_tokens=True),
            text_reward=lambda text, task=task: scorer.text_reward(task, text),
        )
        ids = rollout.answer_ids[row]
        # the values' tokens, under the task's state
        free = grammar.free_positions(ids, StateLimits.of(task.radio())) if grammar is not None else None
        sensitivity = token_sensitivity(
            ids, reward_fn, args.tw_perturbations, rng, base_reward=float(rewards[row]), positions=free
        )
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


def reference_support(
    policy: Policy, seqs: Sequences, ref_prefix: PrefixKV | None, temperature: float, microbatch_size: int
) -> Tensor:
    """π_ref's constrained logits on the grammar's support (B, G, A) for every answer of `seqs`, run once.

    Call inside `using_reference`. (B, G, A) floats are a few MB where the vocabulary-wide logits of a
    rollout would be GBs; `support_logits` says why nothing is lost.
    """
    assert seqs.allowed is not None, "the support is the grammar's"
    out = torch.full(seqs.allowed.shape, MASKED_LOGIT)
    batch = seqs.allowed.shape[0]
    for start in range(0, batch, microbatch_size):
        rows = list(range(start, min(batch, start + microbatch_size)))
        mb = seqs.select(rows)
        logits, _ = forward(policy, mb, temperature, ref_prefix)
        assert mb.allowed is not None
        out[start : start + len(rows), : mb.answer_len] = support_logits(logits, mb.allowed)
    return out


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
    policy.value_head.trains_backbone = bool(args.critic_backbone)
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
    rollout = sample(
        policy,
        [prompts[i] for i in task_index],
        args.k,
        args.max_new_tokens,
        args.temperature,
        seed,
        constrained=bool(args.constrained),
        # the grammar's state limits are the radio's; an unconstrained answer (the negotiator's) has none
        limits=[StateLimits.of(task.radio()) for task in step_tasks] if args.constrained else None,
    )
    mask = rollout.sequences.response_mask  # (B, G)
    lap("rollout")
    # 2. twin reward, eq. (2)
    row_tasks = [step_tasks[i] for i in rollout.prompt_index]
    scores = scorer.score(row_tasks, rollout.texts)
    rewards = torch.tensor([s.reward for s in scores])  # (B,)
    lap("reward")
    # 3. token weights, eqs. (3)–(5)
    weights, weight_stats = answer_token_weights(policy, rollout, row_tasks, rewards, scorer, args, rng)
    lap("token_weights")
    # 4. advantages A_t = R − V_φ(s_t), eq. (6), with the critic of the rollout, on the choice tokens,
    #    whitened over the batch; during the critic's warm-up only eq. (7) trains (a zero-initialised
    #    critic makes A_t = R: the policy would chase the raw reward's offset)
    #    (with `baseline` = group, R − the mean reward of the task's k answers instead: GRPO's baseline;
    #    group-std divides by the k rewards' std too, GRPO's full advantage)
    choices = choice_mask(mask, rollout.sequences.allowed)  # (B, G)
    if args.baseline in ("group", "group-std"):
        groups = torch.tensor(rollout.prompt_index)
        raw = group_advantages(rewards, groups, rollout.values.shape[1], scaled=args.baseline == "group-std")
    else:
        raw = token_advantages(rewards, rollout.values)
    advantages = whiten(raw, choices)  # (B, G)
    # the critic's warm-up holds the policy only where its advantage reads the critic: a group baseline does not,
    # and held the negotiator's first five PPO steps for nothing (session 25's runs)
    warming_up = args.baseline == "critic" and step <= args.critic_warmup_steps
    # 5. PPO epochs on L_total, eq. (9), with π_θold's log-probs fixed. π_ref does not change within
    #    the iteration: under the grammar its logits are computed once per answer, on π_c's support,
    #    and reused by every epoch (unconstrained, they are recomputed per micro-batch)
    prefix_ids = rollout.sequences.prefix_ids
    with using_reference(policy):
        ref_prefix = prefix_kv(policy, prefix_ids) if len(prefix_ids) else None
        ref_support = (
            reference_support(policy, rollout.sequences, ref_prefix, args.temperature, args.microbatch_size)
            if rollout.sequences.allowed is not None
            else None
        )
    lap("reference")
    generator = torch.Generator().manual_seed(seed)
    history: dict[str, list[tuple[float, float]]] = {}  # name → (value, answer tokens) per micro-batch

    def micro_loss(rows: list[int], mb: Sequences, prefix: PrefixKV | None) -> Tensor:
        index, width = torch.tensor(rows), mb.answer_len
        mb_mask = choice_mask(mb.response_mask, mb.allowed)  # (b, g): the tokens that were a choice
        logits, values = forward(policy, mb, args.temperature, prefix)  # (b, g, V), (b, g)
        if ref_support is None:
            with using_reference(policy):
                logits_ref, _ = forward(policy, mb, args.temperature, ref_prefix)  # (b, g, V)
            logits_reg = logits
        else:
            assert mb.allowed is not None
            logits_ref = ref_support[index, :width]  # (b, g, A)
            logits_reg = support_logits(logits, mb.allowed)  # (b, g, A)
        logp = token_logprobs(logits, answer_actions(mb))
        logp_old = rollout.logprobs[index, :width]
        l_policy = policy_loss(
            logp, logp_old, advantages[index, :width], weights[index, :width], mb_mask, args.clip_eps
        )
        l_value = value_loss(values, rewards[index], mb_mask)
        l_reg = regularization(logits_reg, logits_ref, mb_mask, args.beta_ent, args.beta_kl)
        loss = args.k1 * l_value if warming_up else total_loss(l_policy, l_value, l_reg, args.k1, args.k2)
        with torch.no_grad():
            log_ratio = logp.detach() - logp_old
            tokens = float(mb_mask.sum())
            for name, value in {
                "losses/policy": l_policy,
                "losses/value": l_value,
                "losses/reg": l_reg,
                "losses/total": loss,
                "losses/entropy": masked_mean(token_entropy(logits_reg.detach()), mb_mask),
                "losses/kl_ref": masked_mean(token_kl(logits_reg.detach(), logits_ref), mb_mask),
                "losses/approx_kl_old": masked_mean(log_ratio.exp() - 1 - log_ratio, mb_mask),
                "losses/clip_fraction": masked_mean(((log_ratio.exp() - 1).abs() > args.clip_eps).float(), mb_mask),
            }.items():
                history.setdefault(name, []).append((float(value), tokens))
        return loss

    for _ in range(args.ppo_epochs):
        for rows in minibatches(len(scores), args.minibatch_size, generator, group=args.k):
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
        "critic_warmup": warming_up,
        **timings,
    }
