"""The answer grammar as a token-level constraint: the actor's action space is the tokens the grammar allows.

Why: the untrained 135M model, sampled at temperature 1 without a constraint, wrote no valid
orchestration in 64 tries (docs/RLDTF.md), so rejection sampling kept nothing and PPO had no signal.
The served model is constrained by llama.cpp's JSON-schema grammar; training must sample from the
same kind of policy it is evaluated as. The constrained policy is

    π_c(a_t | s_t) = softmax(z_t restricted to allowed(s_t)),

the model's distribution renormalised over the tokens the grammar allows after s_t. Log-probs,
entropy and the KL of eqs. (6)–(8) are all taken under π_c (`mask_logits`), so a forced token has
probability 1, log-prob 0 and no gradient: the skeleton costs nothing and teaches nothing, and the
learning goes where the choices are, into the values.

The grammar: the answer is the link object written compactly, every field present, in the schema's
order, each value one of its allowed values (integer ranges spelled out, enums, booleans):

    {"mcs_index":13,"mcs_table":1,…,"harq_max_retransmissions":0}

This is `prompting.answer_text`'s format, the one the one-shot example shows. The *literals* between
values (`{"mcs_index":`, `,"mcs_table":`, …, `","detector":"` after a string value, `}`) are forced,
token by token, in their canonical tokenisation; a *value* is free among the tokens that keep it a
prefix of an allowed value, and once it is an allowed value the next literal's first token may end
it. The schema's cross-field rules are in the grammar too (`rule_values`), because each field's rule
only looks back at fields already written: the MCS table given the MCS index (table 2 ends at 27),
the subcarrier spacings and bandwidths that can carry the PRBs already chosen (TS 38.101-1 Table
5.3.2-1), antennas at least the layers, no retransmissions without HARQ, and no MCS index below 3
(the twin cannot run 0–2 of table 1, 0–1 of table 2; index 2 of table 2 is given up). So every
constrained answer is a valid orchestration; what stays for the model to learn is the radio: which
valid plan meets the task's QoS in its channel with the least waste. The twin can still refuse a
plan whose MCS × PRBs gives an LDPC code rate Sionna cannot encode; that scores R⁻_base.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

import torch
from torch import Tensor
from transformers import PreTrainedTokenizerBase

from sixg_learner.tasks.prompting import answer_schema

MASKED_LOGIT = -1e9
"""What a disallowed token's logit becomes: finite, so p·log p and p·(log p − log q) stay 0, not NaN."""


@dataclass(frozen=True)
class Field:
    """One link field: its literal before the value (quotes of a string value included) and its values."""

    name: str
    literal: str
    values: tuple[str, ...]


def answer_fields(schema: dict[str, Any]) -> list[Field]:
    """The fields of an answer schema (`prompting.answer_schema`), in order, with their literals and values."""
    fields: list[Field] = []
    previous_string = False
    for i, (name, spec) in enumerate(schema["properties"].items()):
        if "enum" in spec:
            raw = list(spec["enum"])
        elif spec.get("type") == "integer":
            raw = list(range(spec["minimum"], spec["maximum"] + 1))
        elif spec.get("type") == "boolean":
            raw = [True, False]
        else:
            raise ValueError(f"field {name!r}: no finite set of values in its schema")
        is_string = all(isinstance(v, str) for v in raw)
        values = tuple(v if is_string else json.dumps(v) for v in raw)
        opener = "{" if i == 0 else ('",' if previous_string else ",")
        literal = f'{opener}"{name}":' + ('"' if is_string else "")
        fields.append(Field(name, literal, values))
        previous_string = is_string
    return fields


def closing_literal(schema: dict[str, Any]) -> str:
    last = list(schema["properties"].values())[-1]
    return '"}' if last.get("type") == "string" else "}"


MIN_RUNNABLE_MCS = 3


@dataclass(frozen=True)
class StateLimits:
    """What the task's system state allows a plan (twin_bridge `state_violations`, as grammar bounds)."""

    free_prbs: int = 275
    ue_antennas: int = 4
    cell_antennas: int = 8
    measured_csi: bool = True
    max_ldpc_iterations: int = 50

    @staticmethod
    def of(scenario: Any) -> StateLimits:  # noqa: ANN401 - a twin_bridge ScenarioConfig (kept import-light)
        return StateLimits(
            free_prbs=scenario.free_prbs,
            ue_antennas=scenario.ue_antennas,
            cell_antennas=scenario.cell_antennas,
            measured_csi=scenario.measured_csi,
            max_ldpc_iterations=scenario.max_ldpc_iterations,
        )


UNLIMITED = StateLimits()


def rule_values(name: str, chosen: dict[str, str], limits: StateLimits = UNLIMITED) -> frozenset[str] | None:
    """The values field `name` may take given the fields already written (`chosen`), or None: no rule.

    The rules of twin_bridge's `Orchestration` validator, each written where its last field comes,
    and the bounds of the task's system state (`limits`): a constrained answer always fits the state.
    """
    from twin_bridge.orchestration import MAX_PRBS

    if name == "mcs_index":
        return frozenset(str(i) for i in range(MIN_RUNNABLE_MCS, 29))
    if name == "mcs_table":
        return frozenset({"1"} if int(chosen["mcs_index"]) > 27 else {"1", "2"})
    if name == "num_prbs":
        largest = max(p or 0 for t in MAX_PRBS.values() for p in t.values())
        return frozenset(str(n) for n in range(1, min(largest, limits.free_prbs) + 1))
    if name == "num_layers":
        return frozenset(str(n) for n in range(1, min(limits.ue_antennas, limits.cell_antennas) + 1))
    if name == "num_tx_antennas":
        return frozenset(str(n) for n in (1, 2, 4) if int(chosen["num_layers"]) <= n <= limits.ue_antennas)
    if name == "num_rx_antennas":
        return frozenset(str(n) for n in (1, 2, 4, 8) if int(chosen["num_layers"]) <= n <= limits.cell_antennas)
    if name == "channel_estimator" and not limits.measured_csi:
        return frozenset({"ls"})
    if name == "ldpc_iterations":
        return frozenset(str(n) for n in range(1, limits.max_ldpc_iterations + 1))
    if name == "subcarrier_spacing_khz":
        prbs = int(chosen["num_prbs"])
        return frozenset(str(scs) for scs, table in MAX_PRBS.items() if any((p or 0) >= prbs for p in table.values()))
    if name == "bandwidth_mhz":
        prbs, table = int(chosen["num_prbs"]), MAX_PRBS[int(chosen["subcarrier_spacing_khz"])]
        return frozenset(str(bw) for bw, p in table.items() if (p or 0) >= prbs)
    if name == "harq_max_retransmissions" and chosen.get("harq_enabled") == "false":
        return frozenset({"0"})
    return None


Narrowing = tuple[frozenset[str], ...]
"""Per field of a grammar, in its order, the values a narrower answer schema allows."""


@dataclass
class RowState:
    """Where one answer is in the grammar."""

    field_index: int = 0
    """Which literal/value: literal i precedes field i's value; literal len(fields) closes the object."""
    in_literal: bool = True
    literal_pos: int = 0
    """Tokens of the current literal already written."""
    value: str = ""
    """The current value's text so far."""
    done: bool = False
    """The object is closed: only end-of-text is allowed."""
    ended: bool = False
    """End-of-text was written (or the answer broke the grammar): the rest is padding."""
    chosen: dict[str, str] = field(default_factory=dict)
    """The values written so far, by field name."""
    limits: StateLimits = UNLIMITED
    """The task's system state: the bounds its values must keep."""
    narrowing: Narrowing | None = None
    """Per field, the values a request's schema allows (`AnswerGrammar.narrowing_of`); None: the grammar's own."""


@dataclass
class AnswerGrammar:
    """The token-level constraint for one tokenizer (build with `grammar_for`)."""

    fields: list[Field]
    literal_ids: list[list[int]]
    """Canonical token ids of each literal; the last one closes the object."""
    extensions: list[dict[str, list[tuple[int, str]]]]
    """Per field: value prefix → (token id, token text) that keep it a prefix of an allowed value."""
    eos_token_id: int
    pad_token_id: int
    _values_cache: dict[tuple[object, ...], tuple[frozenset[str], frozenset[str]]] = field(default_factory=dict)

    # -- the automaton ------------------------------------------------------------------------------------------------

    def allowed(self, state: RowState) -> list[int]:
        """Token ids allowed after `state` (end-of-text once the object is closed; padding after that)."""
        if state.ended:
            return [self.pad_token_id]
        if state.done:
            return [self.eos_token_id]
        if state.in_literal:
            return [self.literal_ids[state.field_index][state.literal_pos]]
        i = state.field_index
        values, prefixes = self.values_now(i, state.chosen, state.limits, state.narrowing)
        result = [token for token, text in self.extensions[i].get(state.value, []) if state.value + text in prefixes]
        if state.value in values:
            result.append(self.literal_ids[i + 1][0])
        return result

    def values_now(
        self, i: int, chosen: dict[str, str], limits: StateLimits = UNLIMITED, narrowing: Narrowing | None = None
    ) -> tuple[frozenset[str], frozenset[str]]:
        """Field i's allowed values after `chosen`, and all their prefixes (cached per distinct rule input)."""
        narrowed = None if narrowing is None else narrowing[i]
        key = (i, limits, narrowed, *chosen.values())  # fields come in order: the values identify the choices
        cached = self._values_cache.get(key)
        if cached is None:
            spec = self.fields[i]
            ruled = rule_values(spec.name, chosen, limits)
            values = frozenset(spec.values) if ruled is None else frozenset(spec.values) & ruled
            if narrowed is not None:
                values &= narrowed
            cached = (values, frozenset(v[:n] for v in values for n in range(1, len(v) + 1)))
            self._values_cache[key] = cached
        return cached

    def advance(self, state: RowState, token: int) -> None:
        """Moves `state` past `token`; a token the grammar does not allow ends the row (not under the mask)."""
        if state.ended:
            return
        if state.done:
            state.ended = True  # end-of-text (or anything else: the answer is over either way)
            return
        if token not in self.allowed(state):
            state.ended = True
            return
        if state.in_literal:
            state.literal_pos += 1
            self._after_literal_token(state)
            return
        i = state.field_index
        ends_value = token == self.literal_ids[i + 1][0]  # checked first: advance runs for every sampled token
        if ends_value and state.value in self.values_now(i, state.chosen, state.limits, state.narrowing)[0]:
            state.chosen[self.fields[i].name] = state.value
            state.field_index, state.in_literal, state.literal_pos, state.value = i + 1, True, 1, ""
            self._after_literal_token(state)
            return
        state.value += dict(self.extensions[i][state.value])[token]

    def narrowing_of(self, schema: dict[str, Any]) -> Narrowing:
        """The values `schema` (an answer schema with this grammar's fields, in order) allows per field.

        How a served request says what its task's state allows (`prompting.answer_schema(state=…)`):
        the grammar intersects its own rules with these sets. A schema with other fields, or the same
        fields in another order, is not this grammar's answer: ValueError.
        """
        fields = answer_fields(schema)
        names, expected = [f.name for f in fields], [f.name for f in self.fields]
        if names != expected:
            raise ValueError(f"the schema's fields {names} are not the answer's fields {expected}, in that order")
        narrowing = tuple(frozenset(f.values) for f in fields)
        empty = [f.name for f, values in zip(fields, narrowing, strict=True) if not values]
        if empty:
            raise ValueError(f"the schema allows no value for {empty}")
        return narrowing

    def _after_literal_token(self, state: RowState) -> None:
        if state.literal_pos == len(self.literal_ids[state.field_index]):
            if state.field_index == len(self.fields):
                state.done = True
            else:
                state.in_literal, state.value = False, ""

    def allowed_per_position(
        self, answer_ids: Sequence[int], length: int, limits: StateLimits = UNLIMITED
    ) -> list[list[int]]:
        """The allowed token ids before each of `length` answer columns (columns past the answer: padding)."""
        state, table = RowState(limits=limits), []
        for column in range(length):
            table.append(self.allowed(state))
            self.advance(state, answer_ids[column] if column < len(answer_ids) else self.pad_token_id)
        return table

    def allowed_tensor(
        self, answers: Sequence[Sequence[int]], length: int, limits: Sequence[StateLimits] | None = None
    ) -> Tensor:
        """(B, length, A) allowed ids per answer column, padded with −1 (A = the most allowed anywhere)."""
        per_row = [UNLIMITED] * len(answers) if limits is None else list(limits)
        tables = [self.allowed_per_position(ids, length, lim) for ids, lim in zip(answers, per_row, strict=True)]
        width = max((len(a) for table in tables for a in table), default=1)
        out = torch.full((len(answers), length, width), -1, dtype=torch.long)
        for b, table in enumerate(tables):
            for t, allowed in enumerate(table):
                out[b, t, : len(allowed)] = torch.tensor(allowed, dtype=torch.long)
        return out

    def free_positions(self, answer_ids: Sequence[int], limits: StateLimits = UNLIMITED) -> list[int]:
        """Columns of the answer where the grammar left a choice (more than one token allowed): the values."""
        table = self.allowed_per_position(answer_ids, len(answer_ids), limits)
        return [t for t, allowed in enumerate(table) if len(allowed) > 1]


def mask_logits(logits: Tensor, allowed: Tensor) -> Tensor:
    """The constrained policy's logits: `logits` (B, G, V), tokens outside `allowed` (B, G, A) set to MASKED_LOGIT."""
    keep = torch.zeros(logits.shape, dtype=torch.bool, device=logits.device)
    index = allowed.clamp(min=0)
    keep.scatter_(-1, index, allowed >= 0)
    return logits.masked_fill(~keep, MASKED_LOGIT)


def support_logits(logits: Tensor, allowed: Tensor) -> Tensor:
    """The constrained policy's logits on its support only: (B, G, V) gathered at `allowed` (B, G, A) → (B, G, A).

    π_c puts no mass outside the allowed tokens, so its softmax, entropy and any KL between two
    constrained policies are the same over these A columns as over the vocabulary, at A/V of the
    memory (A is a few hundred at most, V 49,152): what lets PPO keep π_ref's logits for a whole
    iteration. Padding columns (−1) get MASKED_LOGIT, i.e. probability 0.
    """
    gathered = torch.gather(logits, -1, allowed.clamp(min=0))
    return gathered.masked_fill(allowed < 0, MASKED_LOGIT)


class Vocabulary(Protocol):
    """What the grammar needs of a tokenizer: the training side's HF tokenizer, or the served GGUF's vocabulary."""

    eos_token_id: int
    pad_token_id: int
    special_ids: frozenset[int]

    def encode(self, text: str) -> list[int]:
        """Canonical token ids of `text`, no special tokens added."""
        ...

    def decode(self, ids: Sequence[int]) -> str: ...

    def token_texts(self) -> list[str]:
        """Every token id's text, in id order."""
        ...


@dataclass(frozen=True)
class HfVocabulary:
    """A transformers tokenizer as a `Vocabulary`."""

    tokenizer: PreTrainedTokenizerBase

    @property
    def eos_token_id(self) -> int:
        return int(self.tokenizer.eos_token_id)

    @property
    def pad_token_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return self.eos_token_id if pad is None else int(pad)

    @property
    def special_ids(self) -> frozenset[int]:
        return frozenset(self.tokenizer.all_special_ids)

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def decode(self, ids: Sequence[int]) -> str:
        return str(self.tokenizer.decode(list(ids)))

    def token_texts(self) -> list[str]:
        return [self.tokenizer.decode([i]) for i in range(len(self.tokenizer))]


def build_grammar(tokenizer: PreTrainedTokenizerBase | Vocabulary, schema: dict[str, Any]) -> AnswerGrammar:
    """The grammar of `schema`'s answers for a tokenizer (a second or two: it decodes the vocabulary once)."""
    vocab: Vocabulary = HfVocabulary(tokenizer) if isinstance(tokenizer, PreTrainedTokenizerBase) else tokenizer
    fields = answer_fields(schema)
    literals = [f.literal for f in fields] + [closing_literal(schema)]
    literal_ids = [vocab.encode(text) for text in literals]
    for text, ids in zip(literals, literal_ids, strict=True):
        if vocab.decode(ids) != text:
            raise ValueError(f"literal {text!r} does not round-trip through the tokenizer")
    texts = vocab.token_texts()
    special = vocab.special_ids
    extensions: list[dict[str, list[tuple[int, str]]]] = []
    for spec in fields:
        alphabet = set("".join(spec.values))
        longest = max(len(v) for v in spec.values)
        prefixes = {v[:n] for v in spec.values for n in range(len(v) + 1)}
        candidates = [
            (i, s) for i, s in enumerate(texts) if i not in special and s and len(s) <= longest and set(s) <= alphabet
        ]
        table: dict[str, list[tuple[int, str]]] = {}
        for prefix in prefixes:
            options = [(i, s) for i, s in candidates if prefix + s in prefixes]
            if options:
                table[prefix] = options
        extensions.append(table)
    return AnswerGrammar(fields, literal_ids, extensions, vocab.eos_token_id, vocab.pad_token_id)


@lru_cache(maxsize=4)
def _cached_grammar(tokenizer_id: int, tokenizer: PreTrainedTokenizerBase) -> AnswerGrammar:
    return build_grammar(tokenizer, answer_schema(integer_ranges_as_enums=False))


def grammar_for(tokenizer: PreTrainedTokenizerBase) -> AnswerGrammar:
    """The link-answer grammar for a tokenizer, built once per tokenizer object."""
    return _cached_grammar(id(tokenizer), tokenizer)
