"""The answer grammar on the real tokenizer: every constrained answer is a valid orchestration, and
the constrained policy's log-probs are the same whether read while decoding or recomputed by `forward`."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from sixg_learner.export.convert import load_gguf_tokenizer, packaged_gguf
from sixg_learner.generation.grammar import (
    MASKED_LOGIT,
    RowState,
    grammar_for,
    mask_logits,
    rule_values,
    support_logits,
)
from sixg_learner.generation.policy import answer_actions, forward, load_policy, sample
from sixg_learner.tasks.prompting import PROMPTS, answer_text, build_messages, parse_orchestration
from sixg_learner.tasks.task import Qos, Task, load_tasks
from sixg_learner.training.ppo import regularization, token_entropy, token_kl, token_logprobs
from tiny import ONE_LAYER, random_llama
from transformers import PreTrainedTokenizerBase
from twin_bridge.orchestration import Orchestration

from examples import VIDEO_CALL_LINK as EXAMPLE_LINK


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerBase:
    """SmolLM2's tokenizer as training uses it (from the packaged GGUF, digits split as llama.cpp does)."""
    return load_gguf_tokenizer(packaged_gguf())


@pytest.fixture(scope="module")
def tiny_random_dir(tokenizer: PreTrainedTokenizerBase, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 1-layer llama over the real vocabulary: its constrained samples wander all over the grammar."""
    model = random_llama(
        len(tokenizer), ONE_LAYER, max_position_embeddings=2048, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=True,
    )  # fmt: skip
    directory = tmp_path_factory.mktemp("tiny-random-llama")
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def test_the_example_answer_is_in_the_grammar_and_only_its_values_are_free(tokenizer: PreTrainedTokenizerBase) -> None:
    grammar = grammar_for(tokenizer)
    ids = tokenizer(answer_text(EXAMPLE_LINK), add_special_tokens=False)["input_ids"]
    table = grammar.allowed_per_position([*ids, tokenizer.eos_token_id], len(ids) + 1)
    assert all(token in allowed for token, allowed in zip([*ids, tokenizer.eos_token_id], table, strict=True))
    assert table[-1] == [tokenizer.eos_token_id]  # nothing after the closing brace but end-of-text
    free_text = "".join(tokenizer.decode([ids[t]]) for t in grammar.free_positions(ids))
    # the values' tokens, plus a ',"' where a value could still have grown (14 → 140..149); the rules force
    # the 0 of 30 kHz (15/30/60 start differently) and the retransmissions (0 without HARQ)
    assert free_text.replace(',"', "") == "13114320112lslmmse20false"
    assert len(grammar.free_positions(ids)) < len(ids) / 4, "most of the answer is forced skeleton"


def test_rules_look_back_at_the_fields_already_written() -> None:
    assert rule_values("mcs_table", {"mcs_index": "28"}) == {"1"}  # table 2 ends at 27
    assert rule_values("subcarrier_spacing_khz", {"num_prbs": "250"}) == {"15", "30"}  # 60 kHz carries ≤ 135
    assert rule_values("bandwidth_mhz", {"num_prbs": "250", "subcarrier_spacing_khz": "30"}) == {"100"}
    assert rule_values("num_rx_antennas", {"num_layers": "3"}) == {"4", "8"}
    assert rule_values("harq_max_retransmissions", {"harq_enabled": "false"}) == {"0"}
    assert rule_values("harq_max_retransmissions", {"harq_enabled": "true"}) is None
    assert "2" not in rule_values("mcs_index", {})  # the twin cannot run MCS 0–2


def test_a_disallowed_token_ends_the_row(tokenizer: PreTrainedTokenizerBase) -> None:
    grammar, state = grammar_for(tokenizer), RowState()
    grammar.advance(state, tokenizer("x", add_special_tokens=False)["input_ids"][0])
    assert state.ended and grammar.allowed(state) == [grammar.pad_token_id]


def test_every_constrained_sample_is_a_valid_orchestration_and_logprobs_match_forward(tiny_random_dir: Path) -> None:
    policy = load_policy(tiny_random_dir)
    task = Task(id="t", description="d", qos=Qos(max_delay_ms=5.0, min_throughput_mbps=1.0, max_ber=1e-2))
    prompts = [f"task {i}: give the link." for i in range(2)]
    rollout = sample(policy, prompts, k=6, max_new_tokens=160, temperature=1.0, seed=3)
    texts = set(rollout.texts)
    assert len(texts) > 6, "a random model under the grammar should write many different plans"
    for text in rollout.texts:
        plan = parse_orchestration(text, task)
        assert isinstance(plan, Orchestration), f"{text!r}: {plan}"
    seqs = rollout.sequences
    assert seqs.allowed is not None
    forced = (seqs.allowed[..., 1] < 0) & (seqs.response_mask > 0)  # one allowed token: probability 1
    assert forced.sum() > 0.7 * seqs.response_mask.sum()
    assert rollout.logprobs[forced].abs().max() < 1e-6
    with torch.no_grad():
        logits, values = forward(policy, seqs, 1.0)
    recomputed = token_logprobs(logits, answer_actions(seqs)) * seqs.response_mask
    assert torch.allclose(recomputed, rollout.logprobs, atol=1e-4)
    assert torch.allclose(values * seqs.response_mask, rollout.values, atol=1e-4)
    entropy = token_entropy(logits)
    assert torch.isfinite(entropy).all() and entropy[forced].abs().max() < 1e-5

    # π_c's entropy and KL on the support alone equal the vocabulary-wide ones (PPO keeps π_ref's so)
    other = mask_logits(torch.randn(logits.shape), seqs.allowed)
    on_support = support_logits(logits, seqs.allowed), support_logits(other, seqs.allowed)
    mask = seqs.response_mask
    torch.testing.assert_close(token_entropy(on_support[0]) * mask, entropy * mask)
    torch.testing.assert_close(token_kl(*on_support) * mask, token_kl(logits, other) * mask)
    on_vocabulary = regularization(logits, other, mask, 0.01, 0.1)
    torch.testing.assert_close(regularization(*on_support, mask, 0.01, 0.1), on_vocabulary)

    # more rows than one decoding batch: sampled in chunks, rows still in prompt order
    many = [f"task {i}: give the link." for i in range(17)]
    greedy = sample(policy, many, k=2, max_new_tokens=160, temperature=1.0, seed=0, score=False, greedy=True)
    assert greedy.prompt_index == [i for i in range(17) for _ in range(2)]
    alone = sample(policy, many[-1:], k=1, max_new_tokens=160, temperature=1.0, seed=5, score=False, greedy=True)
    assert greedy.texts[-1] == greedy.texts[-2] == alone.texts[0]


def test_mask_logits_keeps_exactly_the_allowed_tokens() -> None:
    logits = torch.zeros(1, 2, 5)
    allowed = torch.tensor([[[1, 3, -1], [4, -1, -1]]])
    masked = mask_logits(logits, allowed)
    assert masked[0, 0].tolist() == [MASKED_LOGIT, 0.0, MASKED_LOGIT, 0.0, MASKED_LOGIT]
    assert torch.softmax(masked[0, 1], -1)[4] == 1.0


def test_a_schema_narrowed_to_the_state_allows_what_the_state_limits_allow(tokenizer: PreTrainedTokenizerBase) -> None:
    """How the model server constrains the 6G-LLM (a request's schema) equals how training did (StateLimits)."""
    import random

    from sixg_learner.generation.grammar import StateLimits
    from sixg_learner.tasks.prompting import answer_schema
    from twin_bridge.orchestration import ScenarioConfig

    grammar, rng = grammar_for(tokenizer), random.Random(5)
    for state in (
        ScenarioConfig(snr_db=3, free_prbs=3, ue_antennas=1, measured_csi=False, max_ldpc_iterations=2),
        ScenarioConfig(snr_db=20, free_prbs=40, ue_antennas=2, cell_antennas=4),
        ScenarioConfig(snr_db=10),
    ):
        narrowing = grammar.narrowing_of(answer_schema(integer_ranges_as_enums=True, state=state, complete=True))
        for _ in range(20):
            chosen: dict[str, str] = {}
            for i, spec in enumerate(grammar.fields):
                by_limits = grammar.values_now(i, chosen, StateLimits.of(state))[0]
                by_schema = grammar.values_now(i, chosen, narrowing=narrowing)[0]
                assert by_limits == by_schema, spec.name
                chosen[spec.name] = rng.choice(sorted(by_limits))


def test_a_schema_with_other_fields_is_not_the_answers(tokenizer: PreTrainedTokenizerBase) -> None:
    from sixg_learner.tasks.prompting import answer_schema

    schema = answer_schema(integer_ranges_as_enums=True)
    schema["properties"] = dict(reversed(list(schema["properties"].items())))
    with pytest.raises(ValueError, match="not the answer's fields"):
        grammar_for(tokenizer).narrowing_of(schema)


def test_the_compact_and_lean_prompts_fit_the_issues_400_tokens(tokenizer: PreTrainedTokenizerBase) -> None:
    # issue 13's bound, counted as training and the model server count it: the chat template included. The
    # first held-out set (seed 13); the served lean prompt is checked on the second as well (test below).
    tasks = load_tasks(Path(__file__).parents[1] / "data" / "eval" / "tasks-7011393aa72e.jsonl")

    def tokens(prompt: str) -> list[int]:
        texts = [
            tokenizer.apply_chat_template(build_messages(task, prompt), tokenize=False, add_generation_prompt=True)
            for task in tasks
        ]
        return [len(tokenizer(text, add_special_tokens=False)["input_ids"]) for text in texts]

    counts = {prompt: tokens(prompt) for prompt in PROMPTS}
    assert max(counts["compact"]) <= 400 and max(counts["lean"]) <= 400
    assert sum(counts["compact"]) < sum(counts["link-budget"]) - 50 * len(tasks), "the same task, fewer words"
    assert sum(counts["link-budget"]) > sum(counts["plain"]), "the link budget line is in both longer prompts"


def test_the_served_lean_prompt_fits_400_tokens_on_every_held_out_task(tokenizer: PreTrainedTokenizerBase) -> None:
    # The compact prompt, shipped in sessions 17-20, takes 401 tokens on one task of the second set
    # (s14-00011); the lean prompt served since session 21 stays at 396 or less.
    for file in sorted((Path(__file__).parents[1] / "data" / "eval").glob("tasks-*.jsonl")):
        for task in load_tasks(file):
            messages = build_messages(task, "lean")
            text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            count = len(tokenizer(text, add_special_tokens=False)["input_ids"])
            assert count <= 400, f"{task.id} in {file.name}: {count} tokens"
