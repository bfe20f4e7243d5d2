"""The losses wired to a (tiny, random) llama with LoRA adapters and a value head, as the training loop will.

Checks the pieces the loop relies on with the pinned transformers and peft: gradients of eq. (9)
reach the adapters and the value head but not the frozen base, and `disable_adapter()` gives the
reference policy of eq. (8) without a second copy of the model.
"""

from __future__ import annotations

import torch
from peft import LoraConfig, get_peft_model
from sixg_learner.generation.policy import ValueHead
from sixg_learner.training.ppo import (
    policy_loss,
    regularization,
    token_advantages,
    token_logprobs,
    total_loss,
    value_loss,
)
from tiny import random_llama


def test_one_ppo_step_on_a_tiny_llama_with_lora() -> None:
    base = random_llama(64, max_position_embeddings=64)
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    head = ValueHead(base.config.hidden_size)
    input_ids = torch.randint(0, 64, (2, 10))  # (B, L): 6 prompt tokens, then a 4-token answer
    mask = torch.zeros(2, 9)
    mask[:, 5:] = 1.0  # (B, T = L − 1): the positions that chose answer tokens
    actions = input_ids[:, 1:]

    def forward() -> tuple[torch.Tensor, torch.Tensor]:
        out = model(input_ids=input_ids, output_hidden_states=True)
        return out.logits[:, :-1], head(out.hidden_states[-1])[:, :-1]  # (B, T, V), (B, T)

    with torch.no_grad():
        logits_old, values_old = forward()
        with model.disable_adapter():
            logits_ref = model(input_ids=input_ids).logits[:, :-1]
    # LoRA's B matrices start at 0: the adapted policy starts equal to its reference.
    torch.testing.assert_close(logits_old, logits_ref)

    rewards = torch.tensor([0.6, -0.4])
    advantages = token_advantages(rewards, values_old)
    logp_old = token_logprobs(logits_old, actions)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad] + list(head.parameters()), lr=1e-2)
    logits, values = forward()
    loss = total_loss(
        policy_loss(token_logprobs(logits, actions), logp_old, advantages, torch.ones(2, 9), mask, clip_eps=0.2),
        value_loss(values, rewards, mask),
        regularization(logits, logits_ref, mask, beta_ent=0.01, beta_kl=0.1),
        k1=0.5,
        k2=1.0,
    )
    loss.backward()
    lora_grads = [p.grad for n, p in model.named_parameters() if "lora_" in n]
    assert lora_grads and all(g is not None for g in lora_grads)
    assert any(g.abs().sum() > 0 for g in lora_grads if g is not None)
    assert all(p.grad is None for n, p in model.named_parameters() if "lora_" not in n), "the base stays frozen"
    assert head.linear.weight.grad is not None and head.linear.weight.grad.abs().sum() > 0
    optimizer.step()

    with torch.no_grad():
        logits_new, _ = forward()
        with model.disable_adapter():
            logits_ref_after = model(input_ids=input_ids).logits[:, :-1]
    torch.testing.assert_close(logits_ref_after, logits_ref)  # the reference did not move
    assert not torch.allclose(logits_new, logits_ref)  # the policy did


def test_place_policy_moves_actor_critic_and_reference_and_sets_the_default_device() -> None:
    """`train --device`: every part the losses touch lands on the device, and so do new tensors.

    The meta device stands in for a GPU: it has no data, but a part left behind stays on the CPU.
    """
    from sixg_learner.generation.policy import LoraSettings, Policy, place_policy, refresh_reference
    from sixg_learner.training.updates import minibatches

    base = random_llama(64, max_position_embeddings=64)
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    policy = Policy(
        model=model,
        value_head=ValueHead(base.config.hidden_size),
        tokenizer=None,  # type: ignore[arg-type]  # not used here
        base_dir=None,  # type: ignore[arg-type]
        base_weights_sha256="",
        lora=LoraSettings(),
    )
    refresh_reference(policy)
    try:
        place_policy(policy, "meta")
        assert {p.device.type for p in policy.model.parameters()} == {"meta"}
        assert {p.device.type for p in policy.value_head.parameters()} == {"meta"}
        assert policy.reference and {t.device.type for t in policy.reference.values()} == {"meta"}
        assert torch.zeros(1).device.type == "meta"
        # the seeded minibatch order is drawn on the CPU generator's device, whatever the default
        order = minibatches(10, 4, torch.Generator().manual_seed(3))
        assert sorted(i for rows in order for i in rows) == list(range(10))
    finally:
        torch.set_default_device("cpu")
