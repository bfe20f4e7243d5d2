"""The trained 6G-LLM served exactly as it was trained: the training grammar, token by token.

The messages are the client's. The prompt variant the weights were trained with (`SixgDecoder.prompt`,
from the promotion record) is listed with the model in `GET /v1/models`, and the learner's clients
build their messages with it (`sixg_learner.chat.served_prompt`).

Why not llama.cpp's GBNF: a GBNF constrains characters, so under it the model may spell a literal in
any tokenisation (`{`, `"`, `m`, `cs`, `_`, `in`, `d`, `ex` …) where training forced the canonical
one (`{"`, `m`, `cs`, `_`, `index`, `":`). The trained policy never saw those contexts; measured on
the first 20 evaluation tasks it completed 1 where the in-process policy completes 13 with the same
weights, while its logits on the canonical tokens agree with the HF model's to 0.04. This decoder
runs the learner's token-level automaton (`sixg_learner.generation.grammar`) over the GGUF's vocabulary:
literals are fed in their canonical tokens (in one batch: they are forced), values are sampled from
the model's distribution restricted to the tokens the grammar allows — the constrained policy π_c
that RS and PPO trained.

The request says what the task's state allows the usual OpenAI way, as the response format's JSON
schema (`prompting.answer_schema(state=…, complete=True)`); the grammar intersects its own rules with
the schema's values. A schema that is not the answer's (other fields or order) is refused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sixg_learner.generation.grammar import AnswerGrammar, RowState, build_grammar
from sixg_learner.generation.value_search import best_value, log_softmax
from sixg_learner.tasks.prompting import answer_schema


class RequestError(ValueError):
    """The request cannot be answered by this model as asked (a 400, not a server fault)."""


@dataclass(frozen=True)
class GgufVocabulary:
    """The served GGUF's own vocabulary as a `sixg_learner.generation.grammar.Vocabulary` (no HF folder needed)."""

    llm: Any  # llama_cpp.Llama (imported lazily: tests of the pure parts need no model)

    @property
    def eos_token_id(self) -> int:
        return int(self.llm.token_eos())

    @property
    def pad_token_id(self) -> int:
        return self.eos_token_id

    @property
    def special_ids(self) -> frozenset[int]:
        import llama_cpp

        vocab = self.llm._model.vocab  # noqa: SLF001 - llama-cpp-python exposes no public vocab handle
        return frozenset(i for i in range(self.llm.n_vocab()) if llama_cpp.llama_vocab_is_control(vocab, i))

    def encode(self, text: str) -> list[int]:
        return list(self.llm.tokenize(text.encode(), add_bos=False, special=False))

    def decode(self, ids: Sequence[int]) -> str:
        return self.llm.detokenize(list(ids)).decode("utf-8", errors="replace")

    def token_texts(self) -> list[str]:
        return [self.decode([i]) for i in range(self.llm.n_vocab())]


@dataclass(frozen=True)
class SixgAnswer:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    latency_s: float


class SixgDecoder:
    """One GGUF, decoded under the training grammar; one request at a time (a lock), prefix KV reused."""

    def __init__(
        self, gguf: Path, threads: int, context_tokens: int = 2048, prompt: str = "plain", whole_values: bool = False
    ) -> None:
        import llama_cpp

        self.whole_values = whole_values
        """Greedy requests (temperature 0) choose each value as a whole (`value_search`); False: token by token."""
        self.prompt = prompt
        """The prompt variant these weights were trained with (sixg_learner's `prompting.PROMPTS`): clients
        read it from `GET /v1/models` and build their messages with it."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.llm = llama_cpp.Llama(
            str(gguf), n_ctx=context_tokens, n_threads=threads, n_threads_batch=threads, n_batch=512, verbose=False
        )
        self.grammar: AnswerGrammar = build_grammar(GgufVocabulary(self.llm), answer_schema())
        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ValueError(f"{gguf}: no chat template in the GGUF metadata")
        token_text = self.llm._model.token_get_text  # noqa: SLF001 - the special tokens' spelling
        self.formatter = Jinja2ChatFormatter(
            template=template,
            bos_token=token_text(self.llm.token_bos()),
            eos_token=token_text(self.llm.token_eos()),
        )
        self._lock = threading.Lock()

    def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        """The chat template rendered from the GGUF (as the training side's HF template), then tokenised."""
        prompt = self.formatter(messages=messages).prompt
        return list(self.llm.tokenize(prompt.encode(), add_bos=False, special=True))

    def complete(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any] | None,
        *,
        max_tokens: int,
        temperature: float,
        seed: int | None,
    ) -> SixgAnswer:
        """One answer under the grammar, narrowed to `schema` (None: the grammar's own values)."""
        try:
            narrowing = None if schema is None else self.grammar.narrowing_of(schema)
        except (ValueError, KeyError, TypeError) as err:
            raise RequestError(f"response_format schema: {err}") from None
        started = time.perf_counter()
        prompt = self.prompt_ids(messages)
        if len(prompt) + max_tokens > self.llm.n_ctx():
            raise RequestError(f"{len(prompt)} prompt tokens + max_tokens {max_tokens} exceed the context")
        rng = np.random.default_rng(seed)
        with self._lock:
            answer = self._decode(prompt, RowState(narrowing=narrowing), max_tokens, temperature, rng)
        finish = "stop" if answer and answer[-1] == self.grammar.eos_token_id else "length"
        written = [t for t in answer if t != self.grammar.eos_token_id]
        return SixgAnswer(
            text=self.llm.detokenize(written).decode("utf-8", errors="replace"),
            prompt_tokens=len(prompt),
            completion_tokens=len(answer),
            finish_reason=finish,
            latency_s=time.perf_counter() - started,
        )

    # -- decoding ----------------------------------------------------------------------------------------------------

    def _feed(self, prompt: list[int]) -> None:
        """Evaluates `prompt`, reusing the KV of the longest prefix it shares with the last request."""
        cached = list(self.llm.input_ids[: self.llm.n_tokens])
        common = 0
        for a, b in zip(cached, prompt, strict=False):
            if a != b:
                break
            common += 1
        common = min(common, len(prompt) - 1)  # at least one token to evaluate: its logits are sampled
        if common == 0 or not self.llm._ctx.kv_cache_seq_rm(-1, common, -1):  # noqa: SLF001
            self.llm.reset()
            self.llm._ctx.kv_cache_clear()  # noqa: SLF001
            common = 0
        self.llm.n_tokens = common
        self.llm.eval(prompt[common:])

    def _last_logits(self) -> np.ndarray:
        import llama_cpp

        row = llama_cpp.llama_get_logits_ith(self.llm._ctx.ctx, -1)  # noqa: SLF001
        return np.ctypeslib.as_array(row, shape=(self.llm.n_vocab(),))

    def _decode(
        self, prompt: list[int], state: RowState, max_tokens: int, temperature: float, rng: np.random.Generator
    ) -> list[int]:
        grammar = self.grammar
        self._feed(prompt)
        answer: list[int] = []
        while len(answer) < max_tokens and not state.ended:
            allowed = grammar.allowed(state)
            if len(allowed) == 1:
                # forced: the rest of the literal (or end-of-text) is fed in one batch, as in training
                forced: list[int] = []
                while len(allowed) == 1 and len(answer) + len(forced) < max_tokens and not state.ended:
                    forced.append(allowed[0])
                    grammar.advance(state, allowed[0])
                    if allowed[0] == grammar.eos_token_id:
                        break
                    allowed = grammar.allowed(state)
                answer += forced
                if forced[-1] == grammar.eos_token_id or state.ended or len(answer) >= max_tokens:
                    break
                self.llm.eval(forced)
                continue
            if temperature <= 0.0 and self.whole_values and not state.in_literal and not state.value:
                # greedy: the whole value the model most likely writes, and the literal's first token closing it
                choice = best_value(grammar, state, log_softmax(self._last_logits()), self._logprobs_after)
                closing = grammar.literal_ids[state.field_index + 1][0]
                run = [*choice.tokens, closing][: max_tokens - len(answer)]
                for token in run:
                    grammar.advance(state, token)
                answer += run
                if len(answer) >= max_tokens:
                    break
                self.llm.eval(run)
                continue
            token = _choose(self._last_logits(), allowed, temperature, rng)
            answer.append(token)
            grammar.advance(state, token)
            self.llm.eval([token])
        return answer

    def _logprobs_after(self, tokens: Sequence[int]) -> np.ndarray:
        """The raw log-probs after the evaluated context plus `tokens`; the context is left as it was."""
        written = self.llm.n_tokens
        self.llm.eval(list(tokens))
        logprobs = log_softmax(self._last_logits())
        self.llm._ctx.kv_cache_seq_rm(-1, written, -1)  # noqa: SLF001 - drop the probe's keys/values
        self.llm.n_tokens = written
        return logprobs


def _choose(logits: np.ndarray, allowed: Sequence[int], temperature: float, rng: np.random.Generator) -> int:
    """A token of π_c: the model's distribution renormalised over `allowed`; greedy at temperature 0."""
    ids = np.asarray(allowed, dtype=np.int64)
    values = logits[ids].astype(np.float64)
    if temperature <= 0.0:
        return int(ids[int(np.argmax(values))])
    z = values / temperature
    p = np.exp(z - z.max())
    return int(rng.choice(ids, p=p / p.sum()))
