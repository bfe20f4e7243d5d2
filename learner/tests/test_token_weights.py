"""Eqs. (3)–(5) on a toy reward whose sensitivities are known exactly."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from sixg_learner.training.token_weights import CachedTextReward, perturbations, token_sensitivity, token_weights

ANSWER = [7, 3, 3, 5]


def toy_reward(ids: Sequence[int]) -> float:
    """2 if the answer starts with 7, plus 0.5 if it holds a 5."""
    return (2.0 if list(ids[:1]) == [7] else 0.0) + (0.5 if 5 in ids else 0.0)


def test_perturbations_replace_or_delete_only_the_chosen_token() -> None:
    rng = random.Random(0)
    variants = perturbations(ANSWER, 1, 200, rng)
    assert len(variants) == 200
    deleted = [v for v in variants if len(v) == 3]
    replaced = [v for v in variants if len(v) == 4]
    assert deleted and replaced, "both kinds of perturbation must occur"
    assert all(v == [7, 3, 5] for v in deleted)
    for v in replaced:
        assert v[0] == 7 and v[2:] == [3, 5], "only position 1 changes"
        assert v[1] in {7, 5}, "a replacement is another token id of the response, never the original"
    assert {v[1] for v in replaced} == {7, 5}
    assert 0.35 < len(deleted) / 200 < 0.65


def test_perturbation_of_a_response_with_a_single_token_id_deletes() -> None:
    assert perturbations([4, 4, 4], 2, 5, random.Random(1)) == [[4, 4]] * 5


def test_perturbations_are_reproducible_and_check_their_arguments() -> None:
    assert perturbations(ANSWER, 0, 10, random.Random(3)) == perturbations(ANSWER, 0, 10, random.Random(3))
    with pytest.raises(ValueError, match="outside"):
        perturbations(ANSWER, 4, 1, random.Random(0))
    with pytest.raises(ValueError, match="n must be"):
        perturbations(ANSWER, 0, 0, random.Random(0))


def test_sensitivity_of_the_toy_reward() -> None:
    # R0 = 2.5. Position 0: every perturbation moves the 7 away → R = 0.5, |ΔR| = 2. Positions 1, 2: the
    # answer still starts with 7 and holds a 5 → 0. Position 3: the only 5 is replaced or deleted → R = 2,
    # |ΔR| = 0.5. So S = [2, 0, 0, 0.5] whatever the draws.
    sensitivity = token_sensitivity(ANSWER, toy_reward, n=8, rng=random.Random(0))
    assert sensitivity == pytest.approx([2.0, 0.0, 0.0, 0.5])
    # base_reward is taken as R0 when given: R0 = 0 makes every |R0 − R| the perturbed reward itself.
    assert token_sensitivity(ANSWER, toy_reward, n=4, rng=random.Random(0), base_reward=0.0)[1] == pytest.approx(2.5)


def test_sensitivity_is_the_mean_over_the_draws() -> None:
    # Reward = number of 9s. Answer [9, 1]: deleting or replacing the 9 (by 1) loses it → |ΔR| = 1 always.
    # Position 1 (the 1): replacing by 9 adds one (|ΔR| = 1), deleting changes nothing (0).
    rng, replay = random.Random(5), random.Random(5)
    perturbations([9, 1], 0, 50, replay)  # token_sensitivity draws position 0's perturbations first
    variants = perturbations([9, 1], 1, 50, replay)
    expected = sum(1.0 for v in variants if v == [9, 9]) / 50
    assert 0 < expected < 1
    assert token_sensitivity([9, 1], lambda ids: float(list(ids).count(9)), 50, rng, base_reward=1.0) == (
        pytest.approx([1.0, expected])
    )


def test_token_weights_with_threshold_and_lambda() -> None:
    sensitivity = [2.0, 0.0, 0.0, 0.5]
    # max S + λ = 2.5: w0 = 1 + 1·2/2.5 = 1.8, w3 = 1 + 0.5/2.5 = 1.2
    assert token_weights(sensitivity, alpha=1.0, lam=0.5, threshold=0.1) == pytest.approx([1.8, 1.0, 1.0, 1.2])
    # threshold 0.6 leaves token 3 unweighted; α = 2 doubles the excess: w0 = 1 + 2·2/2.5 = 2.6
    assert token_weights(sensitivity, alpha=2.0, lam=0.5, threshold=0.6) == pytest.approx([2.6, 1.0, 1.0, 1.0])
    # λ keeps all-zero sensitivities finite; α = 0 turns weighting off
    assert token_weights([0.0, 0.0], alpha=1.0, lam=1e-6, threshold=0.0) == [1.0, 1.0]
    assert token_weights(sensitivity, alpha=0.0, lam=0.5, threshold=0.0) == [1.0] * 4
    assert token_weights([], alpha=1.0, lam=0.5, threshold=0.0) == []
    with pytest.raises(ValueError, match="lam"):
        token_weights(sensitivity, alpha=1.0, lam=0.0, threshold=0.0)


def test_cached_text_reward_scores_each_text_once() -> None:
    scored: list[str] = []

    def text_reward(text: str) -> float:
        scored.append(text)
        return float(len(text))

    reward_fn = CachedTextReward(decode=lambda ids: "".join(chr(97 + i) for i in ids), text_reward=text_reward)
    sensitivity = token_sensitivity([0, 0, 0, 1], reward_fn, n=6, rng=random.Random(0))
    # Every deletion decodes to a 3-letter text one shorter: |ΔR| = 1; a replacement keeps the length: 0.
    assert all(0.0 <= s <= 1.0 for s in sensitivity)
    assert reward_fn.calls == 1 + 4 * 6
    assert len(scored) == len(set(scored)) == len(reward_fn.cache)
    assert len(scored) <= 1 + 4 + 4  # "aaab" plus at most the distinct deletions and replacements
