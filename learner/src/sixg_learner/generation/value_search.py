"""Greedy decoding that chooses a number as a whole: the allowed value the model most likely writes.

Why: the grammar spells a value one token at a time (a digit, for the 135M model's tokenizer), so
token-level greedy picks the likeliest *first digit* on its own. Where the values the model wants share
a leading digit, that digit collects their mass: a model that wants 10 or 15 LDPC iterations writes "1"
first, and in a cell whose decoder budget is under 10 the grammar can then only close the value, at 1.
(Session 19 suspected this behind its polish model's one-iteration answers; its targets asked for one
iteration, so that was not the cause: docs/RLDTF.md, session 20.) The mode of the model's distribution
over whole values is what greedy decoding is meant to return, and that is

    argmax over allowed values v of  log p(tokens(v)) + log p(end | tokens(v)),

the raw model's log-probabilities (not renormalised over the grammar), with `end` the first token of
the literal that follows the value: a model that wants "10" gives "," after "1" little mass, so 1 is
not chosen because 10 was likely. Renormalising over the allowed tokens would give the forced end a
probability of 1 and change nothing.

The search is best-first over the value's prefixes: every term is ≤ 0, so a prefix's score bounds all
of its completions, and the first *complete* value taken off the queue is the exact argmax. It asks
for the model's log-probabilities after a prefix only when that prefix is the best open entry, which
is a handful of times for a confident model; `max_expansions` bounds the worst case (then the best
complete value seen, else token-level greedy's continuation, is returned).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sixg_learner.generation.grammar import AnswerGrammar, RowState

LogProbsAfter = Callable[[Sequence[int]], np.ndarray]
"""The raw model's log-probabilities over the vocabulary after the answer so far plus these value tokens."""

MAX_EXPANSIONS = 48


@dataclass(frozen=True)
class ValueChoice:
    text: str
    tokens: tuple[int, ...]
    """The value's tokens, without the literal that closes it."""
    logprob: float
    """log p(tokens) + log p(end | tokens) under the raw model."""
    expansions: int
    """How many prefixes the search asked the model about (the root's log-probs are given, not counted)."""


def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z = z - z.max()
    return z - np.log(np.exp(z).sum())


def best_value(
    grammar: AnswerGrammar,
    state: RowState,
    root: np.ndarray,
    logprobs_after: LogProbsAfter,
    max_expansions: int = MAX_EXPANSIONS,
) -> ValueChoice:
    """The allowed value of the field `state` is about to write with the highest raw log-probability.

    `state` is at the start of a value (not in a literal, nothing of the value written); `root` is the
    raw log-probabilities at that position. `state` is not changed.
    """
    if state.in_literal or state.done or state.ended or state.value:
        raise ValueError("best_value starts at the first token of a value")
    i = state.field_index
    values, prefixes = grammar.values_now(i, state.chosen, state.limits, state.narrowing)
    if not values:
        raise ValueError(f"field {grammar.fields[i].name!r}: no value is allowed here")
    end = grammar.literal_ids[i + 1][0]
    extensions = grammar.extensions[i]
    order = itertools.count()
    # entries: (−score, tie-break, text, tokens, complete)
    queue: list[tuple[float, int, str, tuple[int, ...], bool]] = [(0.0, next(order), "", (), False)]
    best_complete: tuple[float, str, tuple[int, ...]] | None = None
    expansions = 0
    while queue:
        negative, _, text, tokens, complete = heapq.heappop(queue)
        if complete:
            return ValueChoice(text, tokens, -negative, expansions)
        if tokens and expansions >= max_expansions:
            break
        if tokens:
            expansions += 1
            logprobs = logprobs_after(tokens)
        else:
            logprobs = root
        score = -negative
        if text in values:
            closed = score + float(logprobs[end])
            heapq.heappush(queue, (-closed, next(order), text, tokens, True))
            if best_complete is None or closed > best_complete[0]:
                best_complete = (closed, text, tokens)
        for token, piece in extensions.get(text, []):
            if text + piece in prefixes:
                heapq.heappush(
                    queue, (-(score + float(logprobs[token])), next(order), text + piece, (*tokens, token), False)
                )
    if best_complete is not None:
        closed, text, tokens = best_complete
        return ValueChoice(text, tokens, closed, expansions)
    return _token_greedy(grammar, state, root, logprobs_after, expansions)


def _token_greedy(
    grammar: AnswerGrammar, state: RowState, root: np.ndarray, logprobs_after: LogProbsAfter, expansions: int
) -> ValueChoice:
    """Token-level greedy to the end of the value: the fallback when the search ran out of expansions."""
    i = state.field_index
    values, prefixes = grammar.values_now(i, state.chosen, state.limits, state.narrowing)
    end = grammar.literal_ids[i + 1][0]
    text, tokens, total, logprobs = "", (), 0.0, root
    while True:
        options = [(t, p) for t, p in grammar.extensions[i].get(text, []) if text + p in prefixes]
        if text in values:
            options.append((end, ""))
        token, piece = max(options, key=lambda option: float(logprobs[option[0]]))
        total += float(logprobs[token])
        if token == end and text in values:
            return ValueChoice(text, tokens, total, expansions)
        text, tokens = text + piece, (*tokens, token)
        logprobs = logprobs_after(tokens)
        expansions += 1
