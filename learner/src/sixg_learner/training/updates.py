"""The gradient update that domain SFT, rejection sampling and PPO share: minibatches, micro-batches, the optimizer.

A minibatch is the answers of one optimizer step; it is split into micro-batches only to bound
memory, and `backward_in_microbatches` makes the split invisible to the gradient (exactly the
minibatch's, the shared prompt prefix included). Generation never needs any of this: it lives
here, beside the losses, not in `policy.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from sixg_learner.generation.policy import Policy, PrefixKV, Sequences, prefix_kv

MicroLoss = Callable[[list[int], Sequences, PrefixKV | None], Tensor]
"""(rows, their trimmed sequences, the prefix's keys/values) → the token-mean loss of those rows."""


def backward_in_microbatches(
    policy: Policy, seqs: Sequences, rows: Sequence[int], microbatch_size: int, micro_loss: MicroLoss
) -> None:
    """Backpropagates the token-mean loss of `rows` in micro-batches; the shared prefix runs forward and backward once.

    Each micro-batch's loss is scaled by its share of the answer tokens, so the gradients add up
    exactly to the gradient of the mean over all of `rows`' tokens (the losses of eqs. (6)–(9) and
    the SFT loss are such means). The prefix's keys/values enter each micro-batch as detached leaves;
    their gradients are summed and sent back through the prefix in one pass at the end. Memory is
    that of one micro-batch (the logits, rows × G × V floats, and the activations dominate).
    """
    total_tokens = seqs.response_mask[list(rows)].sum()
    prefix = prefix_kv(policy, seqs.prefix_ids) if len(seqs.prefix_ids) else None
    leaves = [(k.detach().requires_grad_(), v.detach().requires_grad_()) for k, v in prefix] if prefix else None
    for start in range(0, len(rows), microbatch_size):
        micro_rows = list(rows[start : start + microbatch_size])
        micro = seqs.select(micro_rows)
        loss = micro_loss(micro_rows, micro, leaves) * (micro.response_mask.sum() / total_tokens)
        loss.backward()
    if prefix is not None and leaves is not None:
        # a loss that never reached the prefix (a warm-up of a critic off the backbone) leaves no gradient
        flowing = [(out, leaf.grad) for pair, leaf_pair in zip(prefix, leaves, strict=True)
                   for out, leaf in zip(pair, leaf_pair, strict=True) if leaf.grad is not None]  # fmt: skip
        if flowing:
            torch.autograd.backward([out for out, _ in flowing], [grad for _, grad in flowing])


def minibatches(n: int, size: int, generator: torch.Generator, group: int = 1) -> list[list[int]]:
    """Rows 0..n−1 in a random order, in chunks of `size`; with `group` > 1, groups of that many adjacent
    rows (the k answers of one prompt) stay together and in order, so that a micro-batch of whole groups
    runs each prompt once (`forward`'s `share_prompt`). Needs `size` and `n` to be multiples of `group`."""
    if group > 1 and size % group == 0 and n % group == 0:
        groups = torch.randperm(n // group, generator=generator, device=generator.device).tolist()
        order = [g * group + i for g in groups for i in range(group)]
    else:
        order = torch.randperm(n, generator=generator, device=generator.device).tolist()
    return [order[i : i + size] for i in range(0, n, size)]


def make_optimizer(policy: Policy, learning_rate: float) -> torch.optim.AdamW:
    """AdamW over the adapters and the value head (the base stays frozen)."""
    return torch.optim.AdamW(policy.trainable_parameters(), lr=learning_rate)
