"""The PPO losses of the RLDTF paper, eqs. (6)–(9), as pure torch functions (the critic's head is `policy.ValueHead`).

Shapes: B answers, T token positions (prompt and padding included), V the vocabulary. Every
per-token tensor is aligned with the *actions*: position t holds what concerns the token a_t
chosen at t, so `logits[:, t]` is π(· | s_t) with s_t = (u, a_<t), i.e. the model's output at
the position *before* a_t (slice the model's logits as `logits[:, :-1]` against `input_ids[:, 1:]`).

Masking and normalisation: `mask` (B, T) is 1 on the answer's tokens and 0 on the prompt and on
padding; only answer tokens count. The paper writes E_a[Σ_t …], a sum over an answer's tokens
averaged over answers; here every loss is the mean over all answer tokens of the batch
(Σ_{b,t} mask·x / Σ_{b,t} mask). That is the paper's quantity divided by the batch's mean answer
length: the same direction, a scale that does not grow with the answer length (so one learning
rate fits short and long answers), and every token counts equally however long its answer.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def masked_mean(values: Tensor, mask: Tensor) -> Tensor:
    """Σ mask·values / Σ mask over all positions (0 when the mask is empty)."""
    mask = mask.to(values.dtype)
    return (values * mask).sum() / mask.sum().clamp(min=1.0)


def token_logprobs(logits: Tensor, tokens: Tensor) -> Tensor:
    """log π(a_t | s_t) of the chosen tokens: logits (B, T, V), tokens (B, T) → (B, T)."""
    return torch.gather(F.log_softmax(logits.float(), dim=-1), -1, tokens.unsqueeze(-1)).squeeze(-1)


def token_entropy(logits: Tensor) -> Tensor:
    """Shannon entropy H(π(· | s_t)) in nats: logits (B, T, V) → (B, T)."""
    logp = F.log_softmax(logits.float(), dim=-1)
    return -(logp.exp() * logp).sum(-1)


def token_kl(logits_p: Tensor, logits_q: Tensor) -> Tensor:
    """Exact D_KL(p ‖ q) = Σ_v p (log p − log q) over the vocabulary, per token: (B, T, V) × 2 → (B, T)."""
    logp = F.log_softmax(logits_p.float(), dim=-1)
    logq = F.log_softmax(logits_q.float(), dim=-1)
    return (logp.exp() * (logp - logq)).sum(-1)


def token_advantages(rewards: Tensor, values: Tensor) -> Tensor:
    """A_t = R(u, a) − V_φ(s_t) (eq. 6's advantage, as the paper writes it: no GAE, no whitening).

    rewards (B,) — one reward per answer, eq. (2); values (B, T) — the critic's estimates. Detached:
    the advantage is a constant of the policy loss; the critic learns through eq. (7) only.
    """
    return (rewards.unsqueeze(-1) - values).detach()


def group_advantages(rewards: Tensor, groups: Tensor, width: int, scaled: bool = False, eps: float = 1e-4) -> Tensor:
    """A_t = R − R̄_g for every token of an answer, R̄_g the mean reward of the answers to the same prompt.

    rewards (B,), groups (B,) the prompt of each answer, width the token positions G → (B, G). GRPO's
    baseline in place of the critic's V_φ(s_t): where the rewards of one prompt's answers differ by
    hundredths and those of different prompts by tenths (the negotiator's turns), a critic's error in
    telling prompts apart outweighs the differences between answers, and the k answers' own mean does not.

    `scaled`: A_t = (R − R̄_g) / (σ_g + eps), GRPO's full form, σ_g the population std of the group's rewards.
    Each prompt then weighs the same in the batch. Without it, the whitening after (`whiten`) lets the few groups
    with an invalid answer (R = −1.5 against ≈ 1.2) outweigh every group whose answers differ by a tenth, which
    is where a negotiator's moves differ (session 26, docs/NEGOTIATOR.md).
    """
    count = torch.bincount(groups).to(rewards.dtype).clamp(min=1.0)
    means = torch.zeros_like(count).index_add_(0, groups, rewards) / count
    centred = rewards - means[groups]
    if scaled:
        variances = torch.zeros_like(count).index_add_(0, groups, centred**2) / count
        centred = centred / (variances.sqrt()[groups] + eps)
    return centred.unsqueeze(-1).expand(-1, width).clone()


def whiten(advantages: Tensor, mask: Tensor, eps: float = 1e-8) -> Tensor:
    """Advantages shifted and scaled to mean 0, std 1 over the masked tokens (the usual PPO normalisation).

    Rewards of eq. (2) lie in [−1, 1] and most answers of a batch are near each other, so raw
    advantages are small and their scale drifts with the critic; whitened ones give eq. (6) the same
    step size at every iteration. Zero outside the mask.
    """
    mask = mask.to(advantages.dtype)
    count = mask.sum().clamp(min=1.0)
    mean = (advantages * mask).sum() / count
    var = (((advantages - mean) * mask) ** 2).sum() / count
    return (advantages - mean) / (var.sqrt() + eps) * mask


def choice_mask(response_mask: Tensor, allowed: Tensor | None) -> Tensor:
    """(B, T) the answer tokens where the policy had a choice: all of them unconstrained; under the
    answer grammar the values' tokens (`allowed` (B, T, A), −1 pads). A forced token has log-prob 0,
    ratio 1 and no gradient under π_c: in a token mean it only dilutes the losses (by ~6x for these
    answers), and a critic fitted on it learns the skeleton, not the choices."""
    if allowed is None:
        return response_mask
    return response_mask * ((allowed >= 0).sum(-1) > 1).to(response_mask.dtype)


def policy_loss(
    logp_new: Tensor,
    logp_old: Tensor,
    advantages: Tensor,
    token_weights: Tensor,
    mask: Tensor,
    clip_eps: float,
) -> Tensor:
    """Eq. (6): −E[Σ_t w_t · min(r_t A_t, clip(r_t, 1 − ε, 1 + ε) A_t)], r_t = π_θ(a_t|s_t) / π_θold(a_t|s_t).

    All arguments (B, T): log-probabilities of the chosen tokens under the current and the rollout
    policy, advantages (`token_advantages`), token weights (eq. 5; 1 where unweighted), the answer
    mask. Returns the scalar loss, averaged over answer tokens (module docstring).
    """
    ratio = torch.exp(logp_new - logp_old)
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * advantages
    return -masked_mean(token_weights * torch.minimum(unclipped, clipped), mask)


def value_loss(values: Tensor, returns: Tensor, mask: Tensor) -> Tensor:
    """Eq. (7): E[Σ_t (R − V_φ(s_t))²], averaged over answer tokens.

    values (B, T); returns (B, T), or (B,) — the answer's reward, the target of every one of its
    tokens (the reward comes only at the end and there is no discounting in the paper).
    """
    if returns.dim() == values.dim() - 1:
        returns = returns.unsqueeze(-1)
    return masked_mean((returns - values) ** 2, mask)


def regularization(logits_new: Tensor, logits_ref: Tensor, mask: Tensor, beta_ent: float, beta_kl: float) -> Tensor:
    """Eq. (8): −β_ent · E[H(π_θ(· | s_t))] + β_KL · D_KL(π_θ(· | s_t) ‖ π_ref(· | s_t)), over answer tokens.

    logits_new, logits_ref (B, T, V). Both terms are exact over the vocabulary (no sampled estimate).

    Which reference: eq. (8) writes π_θold, but the paper's model section describes a reference
    model, a frozen copy of the action model refreshed only at checkpoint intervals, that "prevents
    excessive deviation"; against π_θold the KL would be 0 at the first PPO epoch of every batch and
    bound nothing. This function takes the reference distribution as given; the training loop passes
    the reference model's logits (with LoRA: the adapters as they were at the last checkpoint, or
    `with model.disable_adapter():` for the SFT model itself).
    """
    entropy = masked_mean(token_entropy(logits_new), mask)
    kl = masked_mean(token_kl(logits_new, logits_ref), mask)
    return -beta_ent * entropy + beta_kl * kl


def total_loss(policy: Tensor, value: Tensor, reg: Tensor, k1: float, k2: float) -> Tensor:
    """Eq. (9): L_total = L_policy + k₁·L_value + k₂·L_reg."""
    return policy + k1 * value + k2 * reg
