"""Value-level greedy (`value_search.best_value`) on the real tokenizer's grammar, with a model made of tables:
it returns the exact argmax over whole allowed values, and a digit shared by likely values no longer wins alone."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pytest
from sixg_learner.export.convert import load_gguf_tokenizer, packaged_gguf
from sixg_learner.generation.grammar import AnswerGrammar, RowState, StateLimits, grammar_for
from sixg_learner.generation.value_search import best_value, log_softmax
from sixg_learner.tasks.prompting import answer_text
from transformers import PreTrainedTokenizerBase

from examples import VIDEO_CALL_LINK


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerBase:
    return load_gguf_tokenizer(packaged_gguf())


def at_value(grammar: AnswerGrammar, tokenizer: PreTrainedTokenizerBase, name: str, limits: StateLimits) -> RowState:
    """The grammar's state at the first token of field `name`, the example answer's values before it."""
    state = RowState(limits=limits)
    for token in tokenizer(answer_text(VIDEO_CALL_LINK), add_special_tokens=False)["input_ids"]:
        if not state.in_literal and grammar.fields[state.field_index].name == name:
            return state
        grammar.advance(state, token)
        assert not state.ended
    raise AssertionError(f"no field {name}")


class TableModel:
    """Raw log-probs that depend only on the value's tokens so far: random, or set by hand for some prefixes."""

    def __init__(self, vocab: int, seed: int, wanted: dict[tuple[int, ...], dict[int, float]] | None = None) -> None:
        self.vocab, self.seed, self.wanted, self.calls = vocab, seed, wanted or {}, 0

    def __call__(self, tokens: Sequence[int]) -> np.ndarray:
        self.calls += 1
        rng = np.random.default_rng([self.seed, *tokens])
        logits = rng.normal(0.0, 2.0, self.vocab)
        for token, logit in self.wanted.get(tuple(tokens), {}).items():
            logits[token] = logit
        return log_softmax(logits)


def brute_force(grammar: AnswerGrammar, state: RowState, model: TableModel, tokenizer: PreTrainedTokenizerBase) -> str:
    values, _ = grammar.values_now(state.field_index, state.chosen, state.limits, state.narrowing)
    end = grammar.literal_ids[state.field_index + 1][0]

    def score(text: str) -> float:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        return sum(float(model(ids[:n])[t]) for n, t in enumerate([*ids, end]))

    return max(values, key=score)


@pytest.mark.parametrize(
    ("name", "seed"), list(itertools.product(["mcs_index", "ldpc_iterations", "num_prbs"], [1, 2]))
)
def test_the_search_returns_the_likeliest_whole_value(tokenizer: PreTrainedTokenizerBase, name: str, seed: int) -> None:
    grammar = grammar_for(tokenizer)
    state = at_value(grammar, tokenizer, name, StateLimits(free_prbs=60, max_ldpc_iterations=30))
    model = TableModel(len(tokenizer), seed)
    choice = best_value(grammar, state, model(()), model, max_expansions=10_000)
    assert choice.text == brute_force(grammar, state, model, tokenizer)
    assert tokenizer.decode(list(choice.tokens)) == choice.text
    assert not state.value and not state.in_literal, "the caller's state is not changed"


def test_a_leading_digit_shared_by_likely_values_does_not_win_alone(tokenizer: PreTrainedTokenizerBase) -> None:
    """Session 19's failure: mass on "1" from 10 and 15, a budget of 8, so "1" can only close as 1."""
    grammar = grammar_for(tokenizer)
    state = at_value(grammar, tokenizer, "ldpc_iterations", StateLimits(max_ldpc_iterations=8))
    one, eight, zero = (tokenizer.convert_tokens_to_ids(d) for d in "180")
    end = grammar.literal_ids[state.field_index + 1][0]
    model = TableModel(
        len(tokenizer), 3, {(): {one: 12.0, eight: 10.0}, (one,): {zero: 12.0, end: 0.0}, (eight,): {end: 12.0}}
    )
    allowed = grammar.allowed(state)
    token_greedy = max(allowed, key=lambda t: float(model(())[t]))
    assert token_greedy == one, "token-level greedy writes the shared digit"
    choice = best_value(grammar, state, model(()), model)
    assert choice.text == "8"
    assert choice.expansions <= 3, "a confident model needs few questions"


def test_a_search_that_runs_out_returns_a_complete_allowed_value(tokenizer: PreTrainedTokenizerBase) -> None:
    grammar = grammar_for(tokenizer)
    state = at_value(grammar, tokenizer, "num_prbs", StateLimits(free_prbs=275))
    model = TableModel(len(tokenizer), 4)
    choice = best_value(grammar, state, model(()), model, max_expansions=1)
    values, _ = grammar.values_now(state.field_index, state.chosen, state.limits)
    assert choice.text in values
    assert choice.expansions >= 1
