"""Eqs. (6)–(9) on toy tensors, against values worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch
from sixg_learner.generation.policy import ValueHead
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

LN2, LN3 = math.log(2.0), math.log(3.0)


def t(*rows: list[float]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)


def test_policy_loss_by_hand_inside_and_outside_the_clip_range() -> None:
    # π_old = 0.5 everywhere; π_new = 0.55, 0.75, 0.25, 0.9 → r = 1.1, 1.5, 0.5, 1.8; ε = 0.2; last token masked.
    logp_old = torch.log(t([0.5, 0.5, 0.5, 0.5]))
    logp_new = torch.log(t([0.55, 0.75, 0.25, 0.9])).requires_grad_()
    advantages = t([1.0, 1.0, -1.0, 5.0])
    weights = t([2.0, 1.0, 1.5, 3.0])
    mask = t([1.0, 1.0, 1.0, 0.0])
    # t0: min(1.1·1, 1.1·1) = 1.1, × w 2 = 2.2 (inside the range)
    # t1: min(1.5·1, 1.2·1) = 1.2, × 1 = 1.2 (clipped above)
    # t2: min(0.5·−1, 0.8·−1) = −0.8, × 1.5 = −1.2 (clipped below, pessimistic for A < 0)
    # loss = −(2.2 + 1.2 − 1.2) / 3 answer tokens = −0.7333333
    loss = policy_loss(logp_new, logp_old, advantages, weights, mask, clip_eps=0.2)
    assert loss.item() == pytest.approx(-2.2 / 3, abs=1e-12)
    loss.backward()
    # Only the unclipped token carries a gradient: ∂/∂logp0 = −w·r·A/3 = −2·1.1/3; clipped and masked get 0.
    assert logp_new.grad is not None
    assert logp_new.grad[0].tolist() == pytest.approx([-2.2 / 3, 0.0, 0.0, 0.0], abs=1e-12)


def test_policy_loss_takes_the_unclipped_term_when_it_is_the_smaller() -> None:
    # r = 0.5 with A = +1: min(0.5, 0.8) = 0.5; r = 1.5 with A = −1: min(−1.5, −1.2) = −1.5.
    # loss = −(0.5 − 1.5)/2 = 0.5
    logp_old = torch.log(t([0.5, 0.5]))
    logp_new = torch.log(t([0.25, 0.75]))
    loss = policy_loss(logp_new, logp_old, t([1.0, -1.0]), t([1.0, 1.0]), t([1.0, 1.0]), clip_eps=0.2)
    assert loss.item() == pytest.approx(0.5, abs=1e-12)


def test_raising_a_positive_advantage_token_lowers_the_loss() -> None:
    torch.manual_seed(0)
    logits = torch.randn(1, 2, 5, dtype=torch.float64, requires_grad=True)
    tokens = torch.tensor([[3, 1]])
    logp_old = token_logprobs(logits, tokens).detach()
    advantages, ones = t([2.0, 0.0]), t([1.0, 1.0])

    def loss_of(lg: torch.Tensor) -> torch.Tensor:
        return policy_loss(token_logprobs(lg, tokens), logp_old, advantages, ones, ones, clip_eps=0.2)

    loss = loss_of(logits)
    loss.backward()
    assert logits.grad is not None
    assert logits.grad[0, 0, 3] < 0, "raising the chosen token's logit must lower the loss"
    stepped = (logits - 0.1 * logits.grad).detach()
    assert loss_of(stepped) < loss
    assert token_logprobs(stepped, tokens)[0, 0] > logp_old[0, 0]


def test_value_loss_by_hand() -> None:
    values = t([0.5, -0.5, 2.0, 9.0])
    mask = t([1.0, 1.0, 1.0, 0.0])
    # R = 1: ((1 − 0.5)² + (1 + 0.5)² + (1 − 2)²) / 3 = (0.25 + 2.25 + 1) / 3 = 1.1666667
    assert value_loss(values, torch.tensor([1.0], dtype=torch.float64), mask).item() == pytest.approx(3.5 / 3)
    assert value_loss(values, torch.ones_like(values), mask).item() == pytest.approx(3.5 / 3)


def test_advantages_are_reward_minus_value_and_detached() -> None:
    values = t([0.2, 0.5], [0.0, -1.0]).requires_grad_()
    advantages = token_advantages(torch.tensor([1.0, -1.0], dtype=torch.float64), values)
    torch.testing.assert_close(advantages, t([0.8, 0.5], [-1.0, 0.0]))
    assert not advantages.requires_grad


def test_entropy_and_kl_on_tiny_distributions() -> None:
    p = torch.log(t([0.5, 0.25, 0.25]))
    uniform = torch.zeros(1, 3, dtype=torch.float64)
    # H(p) = 0.5 ln 2 + 2·0.25 ln 4 = 1.5 ln 2 = 1.0397208; H(uniform) = ln 3
    assert token_entropy(p).item() == pytest.approx(1.5 * LN2)
    assert token_entropy(uniform).item() == pytest.approx(LN3)
    # KL(p ‖ u) = Σ p ln(3p) = ln 3 − H(p) = 0.0588915; KL(u ‖ p) = −ln 3 + (ln 2 + 2 ln 4)/3 = 0.0566330
    assert token_kl(p, uniform).item() == pytest.approx(LN3 - 1.5 * LN2)
    assert token_kl(uniform, p).item() == pytest.approx(-LN3 + 5 * LN2 / 3)
    assert token_kl(p, p).item() == pytest.approx(0.0, abs=1e-15)


def test_regularization_by_hand() -> None:
    # position 0: π_θ = (0.5, 0.25, 0.25), π_ref uniform; position 1: both uniform; position 2 masked.
    new = torch.cat([torch.log(t([0.5, 0.25, 0.25])), t([0.0, 0.0, 0.0]), t([9.0, -9.0, 0.0])])[None]
    ref = torch.cat([t([0.0, 0.0, 0.0]), t([0.0, 0.0, 0.0]), t([-9.0, 9.0, 0.0])])[None]
    mask = t([1.0, 1.0, 0.0])
    mean_entropy = (1.5 * LN2 + LN3) / 2  # 1.0691666
    mean_kl = (LN3 - 1.5 * LN2) / 2  # 0.0294457
    # −0.01·1.0691666 + 0.1·0.0294457 = −0.0077471
    reg = regularization(new, ref, mask, beta_ent=0.01, beta_kl=0.1)
    assert reg.item() == pytest.approx(-0.01 * mean_entropy + 0.1 * mean_kl)
    assert reg.item() == pytest.approx(-0.0077471, abs=1e-7)


def test_total_loss_combines_the_three_terms() -> None:
    policy = torch.tensor(1.0, requires_grad=True)
    value = torch.tensor(2.0, requires_grad=True)
    reg = torch.tensor(3.0, requires_grad=True)
    total = total_loss(policy, value, reg, k1=0.5, k2=0.25)  # 1 + 0.5·2 + 0.25·3 = 2.75
    assert total.item() == pytest.approx(2.75)
    total.backward()
    assert (policy.grad, value.grad, reg.grad) == (1.0, 0.5, 0.25)


def test_masked_mean_and_helpers() -> None:
    assert masked_mean(t([1.0, 2.0, 100.0]), t([1.0, 1.0, 0.0])).item() == pytest.approx(1.5)
    assert masked_mean(t([1.0]), t([0.0])).item() == 0.0
    logits = torch.randn(2, 3, 7)
    tokens = torch.randint(0, 7, (2, 3))
    expected = torch.log_softmax(logits, -1).gather(-1, tokens[..., None])[..., 0]
    assert torch.allclose(token_logprobs(logits, tokens), expected)


def test_value_head_starts_at_zero_and_learns() -> None:
    torch.manual_seed(0)
    head = ValueHead(hidden_size=8)
    hidden = torch.randn(2, 5, 8)
    assert head(hidden).shape == (2, 5)
    assert torch.equal(head(hidden), torch.zeros(2, 5))
    optimizer = torch.optim.SGD(head.parameters(), lr=0.1)
    returns, mask = torch.tensor([1.0, -1.0]), torch.ones(2, 5)
    before = value_loss(head(hidden), returns, mask).item()
    for _ in range(20):
        optimizer.zero_grad()
        value_loss(head(hidden), returns, mask).backward()
        optimizer.step()
    assert value_loss(head(hidden), returns, mask).item() < before


def test_whitened_advantages_have_mean_0_and_std_1_on_the_mask_and_0_off_it() -> None:
    advantages = torch.tensor([[0.5, 0.7, 9.0], [0.1, 0.3, -9.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0]])
    out = whiten(advantages, mask)
    assert out[:, 2].abs().max() == 0  # off the mask: neither used nor leaking into the statistics
    kept = out[mask.bool()]
    assert float(kept.mean()) == pytest.approx(0.0, abs=1e-6)
    assert float(kept.pow(2).mean().sqrt()) == pytest.approx(1.0, abs=1e-4)
    assert torch.equal(kept.argsort(), advantages[mask.bool()].argsort())  # the order is kept


def test_the_choice_mask_keeps_the_tokens_with_more_than_one_allowed() -> None:
    response = torch.tensor([[1.0, 1.0, 1.0, 0.0]])
    allowed = torch.tensor([[[5, -1], [6, 7], [8, -1], [9, 10]]])  # forced, choice, forced, padding
    assert choice_mask(response, allowed).tolist() == [[0.0, 1.0, 0.0, 0.0]]
    assert torch.equal(choice_mask(response, None), response)  # unconstrained: every answer token


def test_group_advantages_subtract_each_prompts_mean_reward() -> None:
    rewards = torch.tensor([1.0, 3.0, 10.0, 10.0, 10.0])
    groups = torch.tensor([0, 0, 1, 1, 1])
    advantages = group_advantages(rewards, groups, width=2)
    assert advantages.shape == (5, 2)
    torch.testing.assert_close(advantages[:, 0], torch.tensor([-1.0, 1.0, 0.0, 0.0, 0.0]))
    torch.testing.assert_close(advantages[:, 1], advantages[:, 0])  # every token of an answer


def test_scaled_group_advantages_weigh_every_prompt_the_same() -> None:
    # group 0 differs by 2 (σ 1), group 1 by 0.2 (σ 0.1), group 2 not at all: each becomes ±1 or 0
    rewards = torch.tensor([1.0, 3.0, 0.1, 0.3, 5.0, 5.0], dtype=torch.float64)
    groups = torch.tensor([0, 0, 1, 1, 2, 2])
    advantages = group_advantages(rewards, groups, width=1, scaled=True, eps=0.0)
    torch.testing.assert_close(advantages[:4, 0], torch.tensor([-1.0, 1.0, -1.0, 1.0], dtype=torch.float64))
    # no spread: no signal, eps keeps 0 / 0 from a NaN
    assert group_advantages(rewards, groups, width=1, scaled=True)[4:].abs().max() == 0


def test_the_baseline_is_checked() -> None:
    with pytest.raises(ValueError, match="baseline must be critic, group or group-std"):
        PpoArgs(baseline="mean")
