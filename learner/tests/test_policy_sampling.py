"""`sample` (decoding.py's engine) against `sample_reference` (transformers' forward) and against `forward`.

On random llamas over the real vocabulary, with random adapters and critic (so the merged LoRA and the
value head are exercised): for a seed, the same tokens as the reference, greedy and sampled, with and
without the grammar and `limits`, over several prompts of different lengths, k > 1, chunks and decoding
groups; and the log-probs and values read while decoding are those of a full forward over the answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from sixg_learner.export.convert import load_gguf_tokenizer, packaged_gguf
from sixg_learner.generation import decoding
from sixg_learner.generation import policy as policy_module
from sixg_learner.generation.grammar import StateLimits
from sixg_learner.generation.policy import (
    Policy,
    Rollout,
    answer_actions,
    forward,
    load_policy,
    sample,
    sample_reference,
)
from sixg_learner.training.ppo import token_logprobs
from tiny import ONE_LAYER, TWO_LAYERS, random_llama
from transformers import PreTrainedTokenizerBase

PROMPTS = [
    "task 0: give the link.",
    "task 1: a longer task, with its own words: give the link.",
    "task 22: give the link for a video uplink please.",
]
TIGHT = StateLimits(free_prbs=20, ue_antennas=1, cell_antennas=2, measured_csi=False, max_ldpc_iterations=8)


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerBase:
    return load_gguf_tokenizer(packaged_gguf())


def _policy(tokenizer: PreTrainedTokenizerBase, directory: Path, shape: dict[str, int]) -> Policy:
    model = random_llama(
        len(tokenizer), shape, max_position_embeddings=2048, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=True,
    )  # fmt: skip
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    policy = load_policy(directory)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():  # adapters and critic away from their zero start, so both count
        for p in [*policy.adapter_parameters().values(), *policy.value_head.parameters()]:
            p.copy_(torch.randn(p.shape, generator=generator) * 0.1)
    return policy


@pytest.fixture(scope="module")
def tiny(tokenizer: PreTrainedTokenizerBase, tmp_path_factory: pytest.TempPathFactory) -> Policy:
    """Two layers, grouped-query attention (4 heads on 2 key/value heads)."""
    return _policy(tokenizer, tmp_path_factory.mktemp("two-layer-llama"), TWO_LAYERS)


@pytest.fixture(scope="module")
def one_layer(tokenizer: PreTrainedTokenizerBase, tmp_path_factory: pytest.TempPathFactory) -> Policy:
    return _policy(tokenizer, tmp_path_factory.mktemp("one-layer-llama"), ONE_LAYER)


def assert_same_answers(new: Rollout, old: Rollout, same_layout: bool = True) -> None:
    """Identical tokens; log-probs and values equal up to float rounding; the same sequences when one chunk."""
    assert new.answer_ids == old.answer_ids
    assert new.texts == old.texts
    assert new.prompt_index == old.prompt_index
    assert torch.allclose(new.logprobs, old.logprobs, atol=1e-5)
    assert torch.allclose(new.values, old.values, atol=1e-5)
    s, r = new.sequences, old.sequences
    assert torch.equal(s.response_mask, r.response_mask)
    answer = s.response_mask > 0  # past the answers the reference's chunks pad with 0, `sample` with the pad id
    assert torch.equal(answer_actions(s)[answer], answer_actions(r)[answer])
    assert (s.allowed is None) == (r.allowed is None)
    if s.allowed is not None and r.allowed is not None:
        assert torch.equal(s.allowed[answer], r.allowed[answer])
    if same_layout:
        assert torch.equal(answer_actions(s), answer_actions(r))
        assert s.allowed is None or r.allowed is None or torch.equal(s.allowed, r.allowed)
        assert torch.equal(s.prefix_ids, r.prefix_ids) and s.prompt_len == r.prompt_len
        assert torch.equal(s.input_ids, r.input_ids) and torch.equal(s.attention_mask, r.attention_mask)


def assert_matches_forward(policy: Policy, rollout: Rollout, temperature: float) -> None:
    """The log-probs and values read while decoding are those of one forward over the finished sequences."""
    seqs = rollout.sequences
    with torch.no_grad():
        logits, values = forward(policy, seqs, temperature)
    recomputed = token_logprobs(logits, answer_actions(seqs)) * seqs.response_mask
    assert torch.allclose(recomputed, rollout.logprobs, atol=1e-4)
    assert torch.allclose(values * seqs.response_mask, rollout.values, atol=1e-4)
    if seqs.allowed is not None:
        forced = (seqs.allowed[..., 1] < 0) & (seqs.response_mask > 0)
        assert forced.any() and rollout.logprobs[forced].abs().max() == 0.0  # probability 1 exactly


def both(policy: Policy, **kwargs: Any) -> tuple[Rollout, Rollout]:  # noqa: ANN401
    return sample(policy, **kwargs), sample_reference(policy, **kwargs)


@pytest.mark.parametrize("greedy", [True, False])
def test_constrained_answers_equal_the_reference_and_forward(tiny: Policy, greedy: bool) -> None:
    args = dict(prompts=PROMPTS, k=3, max_new_tokens=160, temperature=1.0, seed=11, greedy=greedy)
    new, old = both(tiny, **args)
    assert_same_answers(new, old)
    assert_matches_forward(tiny, new, 1.0)
    if not greedy:
        assert len(set(new.texts)) > 3, "a random model under the grammar writes different plans"


def test_limits_per_prompt_and_another_temperature(tiny: Policy) -> None:
    limits = [TIGHT, StateLimits(), TIGHT]
    new, old = both(tiny, prompts=PROMPTS, k=2, max_new_tokens=160, temperature=0.7, seed=5, limits=limits)
    assert_same_answers(new, old)
    assert_matches_forward(tiny, new, 0.7)
    for row, text in enumerate(new.texts):
        if new.prompt_index[row] != 1:
            assert '"num_layers":1,' in text and '"channel_estimator":"ls"' in text, text


def test_one_layer_k1_prompts_of_different_lengths(one_layer: Policy) -> None:
    prompts = [p * (i + 1) for i, p in enumerate(PROMPTS)]
    new, old = both(one_layer, prompts=prompts, k=1, max_new_tokens=160, temperature=1.0, seed=2)
    assert_same_answers(new, old)
    assert_matches_forward(one_layer, new, 1.0)
    # prompts without a common first token: no shared prefix at all
    prompts = ["Give the link.", "task 1: give the link."]
    new, old = both(one_layer, prompts=prompts, k=2, max_new_tokens=160, temperature=1.0, seed=2)
    assert new.sequences.prefix_ids.numel() == 0
    assert_same_answers(new, old)
    assert_matches_forward(one_layer, new, 1.0)


def test_unconstrained_and_cut_answers_equal_the_reference(tiny: Policy) -> None:
    new, old = both(tiny, prompts=PROMPTS, k=2, max_new_tokens=12, temperature=1.0, seed=4, constrained=False)
    assert_same_answers(new, old)
    assert_matches_forward(tiny, new, 1.0)
    # under the grammar, answers cut at max_new_tokens (no end-of-text) too
    new, old = both(tiny, prompts=PROMPTS, k=2, max_new_tokens=30, temperature=1.0, seed=4)
    assert_same_answers(new, old)
    assert new.sequences.response_mask.sum(1).tolist() == [30.0] * 6
    args = dict(prompts=PROMPTS, k=1, max_new_tokens=9, temperature=1.0, seed=0, greedy=True, constrained=False)
    assert_same_answers(*both(tiny, **args))


def test_without_score_the_same_tokens_and_zeros(tiny: Policy) -> None:
    scored = sample(tiny, PROMPTS, 2, 160, 1.0, seed=9)
    bare = sample(tiny, PROMPTS, 2, 160, 1.0, seed=9, score=False)
    assert bare.answer_ids == scored.answer_ids
    assert not bare.logprobs.any() and not bare.values.any()
    again = sample(tiny, PROMPTS, 2, 160, 1.0, seed=9)
    assert again.answer_ids == scored.answer_ids and torch.equal(again.logprobs, scored.logprobs)
    other = sample(tiny, PROMPTS, 2, 160, 1.0, seed=10)
    assert other.answer_ids != scored.answer_ids


def test_chunks_and_decoding_groups_keep_the_draws(tiny: Policy, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of SAMPLING_ROWS rows draw from their own generators, however many rows are decoded together."""
    monkeypatch.setattr(policy_module, "SAMPLING_ROWS", 4)  # 2 prompts × k=2 per chunk: 4 chunks
    prompts = [f"task {i}: give the link{'!' * i}" for i in range(7)]
    old = sample_reference(tiny, prompts, 2, 160, 1.0, seed=8)
    for rows_at_once in (4, 6, 64):  # chunks of 4, 4, 4, 2 rows: one at a time; the last two together; all
        monkeypatch.setattr(policy_module, "DECODE_ROWS", rows_at_once)
        new = sample(tiny, prompts, 2, 160, 1.0, seed=8)
        # the reference cuts its own shared prefix per chunk; the engine one for all prompts: same tokens
        assert_same_answers(new, old, same_layout=False)
    assert_matches_forward(tiny, new, 1.0)
    greedy_old = sample_reference(tiny, prompts, 2, 160, 1.0, seed=0, greedy=True, score=False)
    greedy = sample(tiny, prompts, 2, 160, 1.0, seed=0, greedy=True, score=False)
    assert_same_answers(greedy, greedy_old, same_layout=False)


def test_a_model_the_engine_cannot_run_is_sampled_by_the_reference(
    tiny: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(model: object) -> None:
        raise decoding.UnsupportedModel("test")

    monkeypatch.setattr(policy_module, "PackedLlama", refuse)
    calls = []
    original = policy_module.sample_reference
    monkeypatch.setattr(policy_module, "sample_reference", lambda *a: calls.append(1) or original(*a))
    rollout = sample(tiny, PROMPTS[:1], 1, 20, 1.0, seed=0)
    assert calls and len(rollout.texts) == 1


def test_using_reference_adapters_are_merged_at_call_time(tiny: Policy) -> None:
    """Inside `using_reference` the engine must run the reference adapters (it merges what it finds)."""
    with torch.no_grad():
        saved = {n: p.clone() for n, p in tiny.adapter_parameters().items()}
        for p in tiny.adapter_parameters().values():
            p.mul_(-1.0)  # an actor that differs from the reference copy
    try:
        with policy_module.using_reference(tiny):
            new, old = both(tiny, prompts=PROMPTS[:2], k=2, max_new_tokens=160, temperature=1.0, seed=1)
        assert_same_answers(new, old)
        actor = sample(tiny, PROMPTS[:2], 2, 160, 1.0, seed=1)
        assert actor.answer_ids != new.answer_ids
    finally:
        with torch.no_grad():
            for n, p in tiny.adapter_parameters().items():
                p.copy_(saved[n])
