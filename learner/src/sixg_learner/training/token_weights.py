"""Token importance from reward sensitivity, eqs. (3)–(5) of the RLDTF paper.

For a generated answer a = (a_1, …, a_T) with reward R_0, each position t is perturbed N times
(eq. 3), the perturbed answers are scored by the same reward, and the mean absolute change is the
token's sensitivity S_t (eq. 4). Tokens whose sensitivity exceeds a threshold get the weight
w_t = 1 + α·S_t / (max S + λ) (eq. 5) in the policy loss, eq. (6); the others keep weight 1.

Cost: T·N reward calls per answer. Most perturbations of a JSON orchestration break the JSON or
decode to the same text, so the reward function should be cached by decoded text
(`CachedTextReward`): only the distinct texts reach the twin.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


def perturbations(
    token_ids: Sequence[int],
    position: int,
    n: int,
    rng: random.Random,
    pool: Sequence[int] | None = None,
) -> list[list[int]]:
    """Eq. (3): `n` copies of the answer in which only the token at `position` is perturbed.

    Perturb(a_t), with probability 1/2 each: replace a_t by another token of the response (drawn
    uniformly from the distinct token ids of `pool` — by default the whole response — other than
    a_t), or delete it. When no other token id is left, the only perturbation is deletion.
    """
    if not 0 <= position < len(token_ids):
        raise ValueError(f"position {position} is outside the answer's {len(token_ids)} tokens")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    original = token_ids[position]
    replacements = sorted({t for t in (token_ids if pool is None else pool) if t != original})
    prefix, suffix = list(token_ids[:position]), list(token_ids[position + 1 :])
    perturbed: list[list[int]] = []
    for _ in range(n):
        if replacements and rng.random() < 0.5:
            perturbed.append([*prefix, rng.choice(replacements), *suffix])
        else:
            perturbed.append([*prefix, *suffix])
    return perturbed


def token_sensitivity(
    token_ids: Sequence[int],
    reward_fn: Callable[[Sequence[int]], float],
    n: int,
    rng: random.Random,
    base_reward: float | None = None,
    positions: Sequence[int] | None = None,
) -> list[float]:
    """Eq. (4): S_t = (1/N) Σ_n |R_0 − R^(n,t)| for every position t of the answer.

    `reward_fn` scores a token sequence (decode, run the twin, eq. 2); `base_reward` is R_0 when the
    caller already has it from the rollout. With `positions`, only those are perturbed, each by a
    token drawn from the tokens at those positions (S_t = 0 elsewhere): under the answer grammar
    the other tokens are forced (probability 1, no gradient), and perturbing them only breaks the
    JSON, which says nothing about the choices. The values' tokens swapped among themselves change
    a plan into another plan, which is what eq. (4) is meant to measure.
    """
    r0 = reward_fn(token_ids) if base_reward is None else base_reward
    chosen = range(len(token_ids)) if positions is None else positions
    pool = None if positions is None else [token_ids[t] for t in positions]
    sensitivity = [0.0] * len(token_ids)
    for t in chosen:
        deviations = [abs(r0 - reward_fn(p)) for p in perturbations(token_ids, t, n, rng, pool)]
        sensitivity[t] = sum(deviations) / n
    return sensitivity


def token_weights(sensitivity: Sequence[float], alpha: float, lam: float, threshold: float) -> list[float]:
    """Eq. (5): w_t = 1 + α·S_t / (max_t' S_t' + λ) where S_t > threshold, else 1.

    The threshold is the paper's "token weighting is applied only to tokens whose reward sensitivity
    exceeds a predefined threshold"; λ > 0 keeps the ratio finite when every S_t is 0.
    """
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    if lam <= 0:
        raise ValueError(f"lam must be > 0, got {lam}")
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    if not sensitivity:
        return []
    scale = max(sensitivity) + lam
    return [1.0 + alpha * s / scale if s > threshold else 1.0 for s in sensitivity]


@dataclass
class CachedTextReward:
    """A token-level reward function that decodes and scores each distinct text once.

    `decode` turns token ids into text (the tokenizer's decode); `text_reward` scores a text (e.g.
    `scoring.TwinScorer.text_reward`: the task's scenario and requirement, and the twin). Perturbations that decode to
    the same text — the same broken JSON, or a deleted space — cost one twin call, not many.
    """

    decode: Callable[[Sequence[int]], str]
    text_reward: Callable[[str], float]
    cache: dict[str, float] = field(default_factory=dict)
    calls: int = 0

    def __call__(self, token_ids: Sequence[int]) -> float:
        self.calls += 1
        text = self.decode(token_ids)
        if text not in self.cache:
            self.cache[text] = self.text_reward(text)
        return self.cache[text]
