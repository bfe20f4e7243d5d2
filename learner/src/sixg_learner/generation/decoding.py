"""The decoding engine behind `policy.sample`: the llama's layers run by hand over preallocated caches.

Why not `model(...)` with a `DynamicCache`, as `policy.sample_reference` does: that path re-copies
every row's keys/values at every step (`torch.cat` grows the cache), runs a full forward for each
forced token of the answer grammar (~80 % of an answer is JSON skeleton), and applies the 49k-token
LM head to every row at every step. Here:

- **caches written in place**, at three levels, each keys/values tensor allocated once: the shared
  prefix (one (kv_heads, P₀, head_dim) copy per layer for all rows, not broadcast), each distinct
  prompt's rest (once per prompt: its k rows read the same copy), and each row's answer (sized
  `max_new_tokens`); a forward writes its tokens' keys/values at their slots and nothing else moves;
- **attention in parts**: a query attends to the prefix (all the forward's queries packed against the
  one copy), to its prompt's rest and, causally, to its row's answer, each part one call of torch's
  fused CPU attention returning its log-sum-exp; the parts are merged with those, which is the
  softmax over the union up to float rounding;
- **jump-forward**: the tokens the grammar forces are appended without asking the model, and a row's
  next forward feeds its whole run (its last choice plus the forced tokens after it) at once. Rows
  feed runs of different lengths: the linear layers work on the packed tokens (no padding), only the
  per-row and per-prompt attention pads its queries;
- **logits only where there is a choice**: the LM head is applied to the last fed token of a row that
  has a choice next, and under the grammar only to the allowed tokens' rows of the output matrix;
- **LoRA merged for the call**: each projection's weight is base + scale·B·A (the adapters as they are
  now: the actor's, or the reference's inside `using_reference`), q/k/v fused into one matmul.

The critic's value is read on the final hidden state of every fed token, so V(s_t) exists at every
answer column, forced or not.

What is left is mostly the matmuls of the linear layers, ~0.21 GFLOP per fed token (every answer
token but the end-of-text, plus the prompts), which no exact decoding can skip: a forced token's
keys/values are needed by every later token.

Draw order. `sample_reference` calls `torch.multinomial` once per decoding step and chunk of rows on a
(rows, A_t) matrix, A_t the most tokens any row of the chunk is allowed at step t; the numbers it
draws depend on that shape, and a row's pick only on its own row of the matrix. The engine keeps
this: under sampling a chunk decides column t of all its rows before column t + 1 of any (rows whose
column t is forced, or whose answer already ended, take part with a one-hot row, as in the
reference), so the same seed gives the same tokens; the forward passes still batch every row of every
chunk whose run is ready. Greedy decoding draws nothing, so rows run freely there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sixg_learner.generation.grammar import AnswerGrammar, RowState, StateLimits

_fused_attention = getattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu", None)
"""torch's fused CPU attention: the one op that also returns the log-sum-exp that merges the parts (private
to aten, there through torch 2.x; the torch version is pinned by learner/pyproject.toml). Without it the
engine declines and `sample` falls back to `sample_reference`."""


class UnsupportedModel(Exception):
    """The model is not a llama this engine can run (the caller falls back to the reference decoding)."""


Linear = tuple[Tensor, Tensor | None]
"""A projection as (weight (out, in), bias or None)."""


def _effective_linear(module: nn.Module) -> Linear:
    """The weight and bias `module` applies now: a Linear's, or a peft LoRA Linear's with its adapters merged."""
    from peft.tuners.lora import LoraLayer

    if isinstance(module, LoraLayer):
        base = module.get_base_layer()
        if not isinstance(base, nn.Linear):
            raise UnsupportedModel(f"LoRA over {type(base).__name__}")
        weight = base.weight
        if not module.disable_adapters and not module.merged:
            for name in module.active_adapters:
                if name not in module.lora_A:
                    continue
                if name in module.lora_variant or module.lora_bias.get(name, False):
                    raise UnsupportedModel(f"adapter {name!r} is not plain LoRA (DoRA or LoRA bias)")
                weight = weight + module.get_delta_weight(name)
        return weight.detach(), None if base.bias is None else base.bias.detach()
    if isinstance(module, nn.Linear):
        return module.weight.detach(), None if module.bias is None else module.bias.detach()
    raise UnsupportedModel(f"projection of type {type(module).__name__}")


def _fuse(parts: Sequence[Linear]) -> Linear:
    weight = torch.cat([w for w, _ in parts])
    if all(b is None for _, b in parts):
        return weight, None
    biases = [b if b is not None else w.new_zeros(w.shape[0]) for w, b in parts]
    return weight, torch.cat(biases)


@dataclass
class _Layer:
    input_norm: nn.Module
    qkv: Linear
    o: Linear
    post_norm: nn.Module
    gate: Linear
    up: Linear
    down: Linear
    act: nn.Module


@dataclass
class Prefix:
    """The shared prefix's keys and values per layer, each (kv_heads, P₀, head_dim): stored once for all rows."""

    keys: list[Tensor]
    values: list[Tensor]

    @property
    def length(self) -> int:
        return self.keys[0].shape[1]


class KVCache:
    """Per layer, keys and values of every row: (rows, kv_heads, slots, head_dim), written in place."""

    def __init__(self, layers: int, rows: int, kv_heads: int, slots: int, head_dim: int) -> None:
        # zeros, not empty: an unwritten slot is masked out, but garbage there could be NaN, and NaN·0 is NaN
        self.keys = [torch.zeros(rows, kv_heads, slots, head_dim) for _ in range(layers)]
        self.values = [torch.zeros(rows, kv_heads, slots, head_dim) for _ in range(layers)]


@dataclass
class Part:
    """The fed queries against one `KVCache`, padded per segment (a cache row) for torch's fused attention."""

    segments: Tensor
    """(R,) the cache rows read."""
    contiguous: slice | None
    """The same as a slice when they are consecutive (the cache is read as a view, not gathered)."""
    padded: Tensor
    """(T,) each token's index in the (R × width) padded layout."""
    width: int
    """Queries per segment, padded."""
    slots: int
    """Slots of the cache any query may see."""
    mask: Tensor
    """(R, 1, width·groups, slots) additive: 0 where the query may see the slot, −inf elsewhere."""

    @staticmethod
    def of(segments: Sequence[int], counts: Sequence[int], limits: Tensor, groups: int) -> Part:
        """`counts[r]` consecutive tokens for segment r; padded query i of segment r sees slots ≤ limits[r, i]."""
        width = max(counts)
        counts_t = torch.tensor(counts, dtype=torch.long)
        offsets = torch.cat([torch.arange(n) for n in counts])  # each token's index within its segment
        which = torch.repeat_interleave(torch.arange(len(counts)), counts_t)
        slots = int(limits.max()) + 1
        blocked = torch.arange(slots).view(1, 1, 1, -1) > limits.view(len(counts), width, 1, 1)  # (R, W, 1, S)
        mask = torch.zeros(len(counts), width, groups, slots).masked_fill_(blocked, float("-inf"))
        first = segments[0]
        consecutive = list(segments) == list(range(first, first + len(segments)))
        return Part(
            segments=torch.tensor(segments, dtype=torch.long),
            contiguous=slice(first, first + len(segments)) if consecutive else None,
            padded=which * width + offsets,
            width=width,
            slots=slots,
            mask=mask.view(len(counts), 1, width * groups, slots),
        )


@dataclass
class Feed:
    """One forward's input: runs of tokens, each written at consecutive slots of one row of the `own` cache.

    Every token attends to the prefix (if any), causally to its own row of the `own` cache (its run
    and what the row holds before it), and, while decoding, to its prompt's rest in the `shared` cache
    (the prompt's k rows read one copy).
    """

    ids: Tensor
    """(T,) the runs, concatenated."""
    positions: Tensor
    """(T,) position ids (prefix, prompt rest and answer columns counted)."""
    write_rows: Tensor
    """(T,) the own cache's row of each token."""
    write_slots: Tensor
    """(T,) the own cache's slot of each token."""
    own: Part
    shared: Part | None

    @staticmethod
    def of(
        rows: Sequence[int],
        starts: Sequence[int],
        runs: Sequence[Sequence[int]],
        offsets: Sequence[int],
        groups: int,
        shared: Sequence[tuple[int, int]] | None = None,
    ) -> Feed:
        """Run r goes to own row `rows[r]` from slot `starts[r]`, at position `offsets[r]` + slot.

        `shared[r]` = (row of the shared cache, its length) of run r's prompt; runs of one prompt are adjacent.
        """
        lengths = [len(run) for run in runs]
        lengths_t, starts_t = torch.tensor(lengths), torch.tensor(starts)
        which = torch.repeat_interleave(torch.arange(len(runs)), lengths_t)
        within = torch.cat([torch.arange(n) for n in lengths])
        slots = starts_t[which] + within
        # causal in the own row; a padding query sees its row too, so that no query sees nothing (NaN)
        own = Part.of(rows, lengths, starts_t.unsqueeze(1) + torch.arange(max(lengths)).unsqueeze(0), groups)
        shared_part = None
        if shared is not None:
            segments: list[int] = []
            counts: list[int] = []
            limits: list[int] = []
            for (segment, length), n in zip(shared, lengths, strict=True):
                if segments and segments[-1] == segment:
                    counts[-1] += n
                else:
                    segments.append(segment)
                    counts.append(n)
                    limits.append(length - 1)
            width = max(counts)
            shared_part = Part.of(segments, counts, torch.tensor(limits).unsqueeze(1).expand(-1, width), groups)
        return Feed(
            ids=torch.tensor([t for run in runs for t in run], dtype=torch.long),
            positions=torch.tensor(offsets)[which] + slots,
            write_rows=torch.tensor(rows)[which],
            write_slots=slots,
            own=own,
            shared=shared_part,
        )


class PackedLlama:
    """A llama (plain or under peft LoRA) run layer by layer over packed tokens, with `KVCache` and `Prefix`."""

    def __init__(self, model: nn.Module) -> None:
        if _fused_attention is None:
            raise UnsupportedModel("this torch has no _scaled_dot_product_flash_attention_for_cpu")
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        config = base.config
        if getattr(config, "model_type", None) != "llama":
            raise UnsupportedModel(f"model_type {getattr(config, 'model_type', None)!r}")
        inner = base.model
        self.heads = config.num_attention_heads
        self.kv_heads = config.num_key_value_heads
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // self.heads
        self.groups = self.heads // self.kv_heads
        self.scaling = self.head_dim**-0.5
        self.rotary = inner.rotary_emb
        self.norm = inner.norm
        embedding = base.get_input_embeddings()
        if not isinstance(embedding, nn.Embedding):
            raise UnsupportedModel(f"input embedding of type {type(embedding).__name__}")
        self.embedding = embedding.weight.detach()
        self.head = _effective_linear(base.get_output_embeddings())
        self.layers: list[_Layer] = []
        for layer in inner.layers[: config.num_hidden_layers]:
            attention, mlp = layer.self_attn, layer.mlp
            if attention.head_dim != self.head_dim or attention.scaling != self.scaling:
                raise UnsupportedModel("attention layers differ from the config")
            projections = [attention.q_proj, attention.k_proj, attention.v_proj]
            self.layers.append(
                _Layer(
                    input_norm=layer.input_layernorm,
                    qkv=_fuse([_effective_linear(p) for p in projections]),
                    o=_effective_linear(attention.o_proj),
                    post_norm=layer.post_attention_layernorm,
                    gate=_effective_linear(mlp.gate_proj),
                    up=_effective_linear(mlp.up_proj),
                    down=_effective_linear(mlp.down_proj),
                    act=mlp.act_fn,
                )
            )

    def feed(
        self,
        rows: Sequence[int],
        starts: Sequence[int],
        runs: Sequence[Sequence[int]],
        offsets: Sequence[int],
        shared: Sequence[tuple[int, int]] | None = None,
    ) -> Feed:
        return Feed.of(rows, starts, runs, offsets, self.groups, shared)

    def new_cache(self, rows: int, slots: int) -> KVCache:
        return KVCache(len(self.layers), rows, self.kv_heads, slots, self.head_dim)

    def prefill_prefix(self, prefix_ids: Sequence[int]) -> Prefix | None:
        """Runs the shared prefix once (one row of a throwaway cache) and keeps its keys/values."""
        if not len(prefix_ids):
            return None
        cache = self.new_cache(1, len(prefix_ids))
        self.forward(self.feed([0], [0], [list(prefix_ids)], [0]), cache, None, None)
        return Prefix(keys=[k[0] for k in cache.keys], values=[v[0] for v in cache.values])

    def forward(self, feed: Feed, own: KVCache, shared: KVCache | None, prefix: Prefix | None) -> Tensor:
        """The final (normed) hidden state of every fed token, (T, hidden); their keys/values land in `own`."""
        tokens = feed.ids.shape[0]
        hidden = self.embedding[feed.ids]  # (T, H)
        cos, sin = self.rotary(hidden.unsqueeze(0), feed.positions.unsqueeze(0))
        cos, sin = cos[0].unsqueeze(1), sin[0].unsqueeze(1)  # (T, 1, d): broadcast over heads
        q_width, kv_width = self.heads * self.head_dim, self.kv_heads * self.head_dim
        for index, layer in enumerate(self.layers):
            x = layer.input_norm(hidden)
            q, k, v = F.linear(x, *layer.qkv).split([q_width, kv_width, kv_width], dim=-1)
            q = _rotate(q.view(tokens, self.heads, self.head_dim), cos, sin)
            k = _rotate(k.view(tokens, self.kv_heads, self.head_dim), cos, sin)
            own.keys[index][feed.write_rows, :, feed.write_slots] = k
            own.values[index][feed.write_rows, :, feed.write_slots] = v.view(tokens, self.kv_heads, self.head_dim)
            parts = [self._part(q, feed.own, own.keys[index], own.values[index])]
            if feed.shared is not None and shared is not None:
                parts.append(self._part(q, feed.shared, shared.keys[index], shared.values[index]))
            if prefix is not None:
                flat = q.view(tokens, self.kv_heads, self.groups, self.head_dim).permute(1, 0, 2, 3)
                out, lse = _fused_attention(
                    flat.reshape(1, self.kv_heads, tokens * self.groups, self.head_dim),
                    prefix.keys[index].unsqueeze(0),
                    prefix.values[index].unsqueeze(0),
                    scale=self.scaling,
                )
                parts.append((out[0], lse[0].unsqueeze(-1)))
            attended = _merge(parts).view(self.kv_heads, tokens, self.groups, self.head_dim)
            attended = attended.permute(1, 0, 2, 3).reshape(tokens, q_width)
            hidden = hidden + F.linear(attended, *layer.o)
            x = layer.post_norm(hidden)
            # gate and up stay two matmuls: fused into one (tokens × 3072) MKL runs it ~1.5× slower here
            gated = layer.act(F.linear(x, *layer.gate)) * F.linear(x, *layer.up)
            hidden = hidden + F.linear(gated, *layer.down)
        return self.norm(hidden)

    def _part(self, q: Tensor, part: Part, keys: Tensor, values: Tensor) -> tuple[Tensor, Tensor]:
        """Attention of the queries (T, heads, d) over one part of their context: (kv, T·groups, d) and its
        log-sum-exp (kv, T·groups, 1), by torch's fused CPU attention (no scores tensor, no softmax passes).

        Grouped heads: kv head h serves query heads h·groups … h·groups + groups − 1, stacked along the
        query axis, so a part is one call over (segments, kv heads).
        """
        tokens, segments, width = q.shape[0], len(part.segments), part.width
        kv, groups, d = self.kv_heads, self.groups, self.head_dim
        if part.contiguous is not None:
            keys, values = keys[part.contiguous, :, : part.slots], values[part.contiguous, :, : part.slots]
        else:  # index_select copies whole rows (a fast memcpy), then the view drops the unused slots
            keys = keys.index_select(0, part.segments)[:, :, : part.slots]
            values = values.index_select(0, part.segments)[:, :, : part.slots]
        padded = q.new_zeros(segments * width, self.heads, d)
        padded[part.padded] = q
        padded = padded.view(segments, width, kv, groups, d).permute(0, 2, 1, 3, 4).reshape(segments, kv, -1, d)
        out, lse = _fused_attention(padded, keys, values, attn_mask=part.mask, scale=self.scaling)

        def packed(t: Tensor) -> Tensor:  # (R, kv, W·g, x) → (kv, T·g, x), the fed tokens only
            x = t.shape[-1]
            t = t.reshape(segments, kv, width, groups, x).permute(1, 0, 2, 3, 4).reshape(kv, -1, groups, x)
            return t.index_select(1, part.padded).reshape(kv, tokens * groups, x)

        return packed(out), packed(lse.unsqueeze(-1))

    def logits(self, hidden: Tensor, candidates: Sequence[Sequence[int]] | None) -> list[Tensor]:
        """Per row of `hidden` (R, H), the logits of its candidates (in their order), or of the whole vocabulary."""
        weight, bias = self.head
        if candidates is None:
            full = F.linear(hidden, weight, bias)
            return list(full)
        width = max(len(c) for c in candidates)
        index = torch.tensor([[*c, *([0] * (width - len(c)))] for c in candidates], dtype=torch.long)
        out = torch.bmm(weight[index], hidden.unsqueeze(-1)).squeeze(-1)  # (R, A): only the rows asked for
        if bias is not None:
            out = out + bias[index]
        return [row[: len(c)] for row, c in zip(out, candidates, strict=True)]


def _merge(parts: Sequence[tuple[Tensor, Tensor]]) -> Tensor:
    """Softmax attention over the union of the parts' keys, from each part's normalised output and log-sum-exp."""
    if len(parts) == 1:
        return parts[0][0]
    top = parts[0][1]
    for _, lse in parts[1:]:
        top = torch.maximum(top, lse)
    weights = [torch.exp(lse - top) for _, lse in parts]
    total = sum(w * out for w, (out, _) in zip(weights, parts, strict=True))
    return total / sum(weights)


def _rotate(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotary position embedding, as transformers' llama applies it (rotate_half)."""
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


@dataclass
class Chunk:
    """Rows sharing one random generator (a chunk of `sample_reference`): rows [start, stop), their seed."""

    start: int
    stop: int
    seed: int


@dataclass
class Decoded:
    tokens: Tensor
    """(B, G) the answer columns: chosen tokens, then padding after the end-of-text."""
    logprobs: Tensor
    """(B, G) log π_c of each chosen token (0 on forced ones), 0 past the end."""
    values: Tensor
    """(B, G) V(s_t) at every column up to the end, 0 past it."""


@dataclass
class DecodeSpec:
    """What to decode: prompts after the shared prefix, k rows each, and how."""

    rests: list[list[int]]
    k: int
    max_new_tokens: int
    temperature: float
    greedy: bool
    score: bool
    grammar: AnswerGrammar | None
    row_limits: list[StateLimits]
    eos: int
    pad: int


def decode(
    engine: PackedLlama,
    value_head: nn.Module,
    prefix: Prefix | None,
    spec: DecodeSpec,
    chunks: Sequence[Chunk],
    rows_at_once: int,
) -> Decoded:
    """The answers of all rows; chunks are decoded together, `rows_at_once` rows at a time (whole chunks).

    Each chunk keeps its own generator and draw order (module docstring), so grouping does not change
    what is sampled.
    """
    groups: list[list[Chunk]] = []
    for chunk in chunks:
        rows = sum(c.stop - c.start for c in groups[-1]) if groups else rows_at_once
        if rows + chunk.stop - chunk.start > rows_at_once:
            groups.append([chunk])
        else:
            groups[-1].append(chunk)
    parts = [_GroupDecoder(engine, value_head, prefix, spec, group).run() for group in groups]
    width = max(p.tokens.shape[1] for p in parts)

    def widen(t: Tensor, fill: float | int) -> Tensor:
        return torch.cat([t, t.new_full((t.shape[0], width - t.shape[1]), fill)], dim=1)

    return Decoded(
        tokens=torch.cat([widen(p.tokens, spec.pad) for p in parts]),
        logprobs=torch.cat([widen(p.logprobs, 0.0) for p in parts]),
        values=torch.cat([widen(p.values, 0.0) for p in parts]),
    )


class _GroupDecoder:
    """The decoding loop over the rows of some whole chunks (one cache)."""

    def __init__(
        self, engine: PackedLlama, value_head: nn.Module, prefix: Prefix | None, spec: DecodeSpec, chunks: list[Chunk]
    ) -> None:
        self.engine, self.value_head, self.prefix, self.spec = engine, value_head, prefix, spec
        self.first_row = chunks[0].start
        self.chunks = [Chunk(c.start - self.first_row, c.stop - self.first_row, c.seed) for c in chunks]
        self.generators = [torch.Generator().manual_seed(c.seed) for c in chunks]
        self.drawn = [0] * len(chunks)
        """Per chunk, the decoding steps (columns) whose draws were made."""
        rows = chunks[-1].stop - self.first_row
        self.rows = rows
        self.prompt_of = [(self.first_row + b) // spec.k for b in range(rows)]
        self.rest_len = [len(spec.rests[p]) for p in self.prompt_of]
        self.states = [RowState(limits=spec.row_limits[self.first_row + b]) for b in range(rows)]
        self.tokens: list[list[int]] = [[] for _ in range(rows)]
        self.logprobs = torch.zeros(rows, spec.max_new_tokens)
        self.values = torch.zeros(rows, spec.max_new_tokens)
        self.fed = [0] * rows
        """Answer columns whose keys/values are in the cache."""
        self.end = [-1] * rows
        """The last answer column (end-of-text, or the last allowed), −1 while the row is open."""
        self.candidates: list[list[int] | None] = [None] * rows
        """The allowed tokens at the row's next column when it is a choice (None: the whole vocabulary)."""
        self.logits: list[Tensor | None] = [None] * rows
        """The logits of those candidates, once computed."""
        self.offset = 0 if prefix is None else prefix.length
        self.prompts = rows // spec.k
        # the prompt rests once per prompt (its k rows read the same copy); the answers per row
        self.rest_cache = engine.new_cache(self.prompts, max(self.rest_len))
        self.answer_cache = engine.new_cache(rows, spec.max_new_tokens)

    # -- columns ------------------------------------------------------------------------------------------------------

    def _choose(self, row: int, token: int, logprob: float) -> None:
        column = len(self.tokens[row])
        self.tokens[row].append(token)
        self.logprobs[row, column] = logprob
        if self.spec.grammar is not None:
            self.spec.grammar.advance(self.states[row], token)
        if token == self.spec.eos or column + 1 == self.spec.max_new_tokens:
            self.end[row] = column

    def _extend(self, row: int) -> None:
        """Appends the tokens the grammar forces, up to the row's next choice (or its end)."""
        grammar = self.spec.grammar
        while self.end[row] < 0:
            if grammar is None:
                self.candidates[row] = None
                return
            allowed = grammar.allowed(self.states[row])
            if len(allowed) > 1:
                self.candidates[row] = allowed
                return
            self._choose(row, allowed[0], 0.0)

    # -- forwards -----------------------------------------------------------------------------------------------------

    def _prefill(self) -> None:
        """The prompt rests (once per distinct prompt); V and, where it is a choice, the logits of column 0."""
        k, first_prompt = self.spec.k, self.prompt_of[0]
        rests = [self.spec.rests[first_prompt + i] for i in range(self.prompts)]
        feed = self.engine.feed(range(self.prompts), [0] * self.prompts, rests, [self.offset] * self.prompts)
        hidden = self.engine.forward(feed, self.rest_cache, None, self.prefix)
        ends = torch.tensor([len(r) for r in rests]).cumsum(0) - 1
        last = hidden[ends].repeat_interleave(k, dim=0)  # (B, H) the state before column 0
        if self.spec.score:
            self.values[:, 0] = self.value_head(last)
        for row in range(self.rows):
            self._extend(row)
        open_rows = [b for b in range(self.rows) if self.end[b] < 0 and not self.tokens[b]]
        if open_rows:
            self._set_logits(open_rows, last[open_rows])

    def _set_logits(self, rows: list[int], hidden: Tensor) -> None:
        candidates = None if self.spec.grammar is None else [self.candidates[b] or [] for b in rows]
        for row, logits in zip(rows, self.engine.logits(hidden, candidates), strict=True):
            self.logits[row] = logits

    def _feed(self) -> None:
        """One forward over every row with decided tokens not yet in the cache (their runs)."""
        rows, starts, runs = [], [], []
        for b in range(self.rows):
            if self.end[b] < 0:
                upto = len(self.tokens[b])  # the row needs the logits of its next column
            else:
                upto = self.end[b] if self.spec.score else self.fed[b]  # only V up to its end-of-text
            if upto > self.fed[b]:
                rows.append(b)
                starts.append(self.fed[b])
                runs.append(self.tokens[b][self.fed[b] : upto])
        if not rows:
            return
        k = self.spec.k
        offsets = [self.offset + self.rest_len[b] for b in rows]  # answer column c is at P₀ + rest + c
        shared = [(b // k, self.rest_len[b]) for b in rows]  # the prompt's rest, read by its rows
        feed = self.engine.feed(rows, starts, runs, offsets, shared)
        hidden = self.engine.forward(feed, self.answer_cache, self.rest_cache, self.prefix)
        lengths = torch.tensor([len(r) for r in runs])
        if self.spec.score:
            # the output at the token of column c is the state before column c + 1
            token_rows = torch.repeat_interleave(torch.tensor(rows), lengths)
            columns = torch.cat(
                [torch.arange(self.fed[b] + 1, self.fed[b] + 1 + len(r)) for b, r in zip(rows, runs, strict=True)]
            )
            self.values[token_rows, columns] = self.value_head(hidden)
        for b, run in zip(rows, runs, strict=True):
            self.fed[b] += len(run)
        ends = lengths.cumsum(0) - 1
        open_index = [i for i, b in enumerate(rows) if self.end[b] < 0]
        if open_index:
            self._set_logits([rows[i] for i in open_index], hidden[ends[open_index]])

    # -- choices ------------------------------------------------------------------------------------------------------

    def _decide(self, rows: list[int], chunk: int | None) -> None:
        """Chooses the next token of `rows` (all at the same column when `chunk` is given: one draw of it)."""
        temperature = self.spec.temperature
        if chunk is None:  # greedy: any rows, no draws
            members, deciding = rows, set(rows)
        else:
            c = self.chunks[chunk]
            members, deciding = list(range(c.start, c.stop)), set(rows)
        if self.spec.grammar is None:
            width = self.logits[rows[0]].shape[0]
        else:
            width = max(len(self.candidates[b]) for b in rows)
        # the reference's matrix: a decided row's scores over its candidates, −inf pads; a one-hot row elsewhere
        scores = torch.full((len(members), width), float("-inf"))
        for i, b in enumerate(members):
            if b in deciding:
                logits = self.logits[b]
                scores[i, : logits.shape[0]] = logits.float() / temperature
            else:
                scores[i, 0] = 0.0
        logp = torch.log_softmax(scores, dim=-1)
        if chunk is None:
            pick = logp.argmax(-1)
        else:
            # drawn on the CPU, where the seeded generator lives: the same draws on every device
            probs = logp.exp().cpu()
            pick = torch.multinomial(probs, 1, generator=self.generators[chunk]).squeeze(-1).to(logp.device)
        chosen_logp = logp.gather(-1, pick.unsqueeze(-1)).squeeze(-1).tolist()
        picks = pick.tolist()
        for i, b in enumerate(members):
            if b not in deciding:
                continue
            candidates = self.candidates[b]
            token = picks[i] if candidates is None else candidates[picks[i]]
            self.logits[b] = None
            self._choose(b, token, chosen_logp[i] if self.spec.score else 0.0)
            self._extend(b)

    def _draw_through(self, chunk: int, column: int) -> None:
        """The reference's draws of the steps before `column` where every row of the chunk was forced (A = 1)."""
        c = self.chunks[chunk]
        while self.drawn[chunk] < column:
            torch.multinomial(torch.ones(c.stop - c.start, 1, device="cpu"), 1, generator=self.generators[chunk])
            self.drawn[chunk] += 1

    def run(self) -> Decoded:
        with torch.no_grad():
            self._prefill()
            while True:
                if self.spec.greedy:  # every open row chooses; no draws, so rows need not keep in step
                    open_rows = [b for b in range(self.rows) if self.end[b] < 0]
                    if not open_rows:
                        break
                    if any(self.logits[b] is None for b in open_rows):
                        self._feed()
                    self._decide(open_rows, None)
                    continue
                # sampled: per chunk, the open rows at its earliest open column choose (a chunk's draws go
                # column by column, as in the reference; chunks do not wait for each other)
                turns: list[tuple[int, int, list[int]]] = []
                for index, c in enumerate(self.chunks):
                    open_rows = [b for b in range(c.start, c.stop) if self.end[b] < 0]
                    if open_rows:
                        column = min(len(self.tokens[b]) for b in open_rows)
                        turns.append((index, column, [b for b in open_rows if len(self.tokens[b]) == column]))
                if not turns:
                    break
                if any(self.logits[b] is None for _, _, rows in turns for b in rows):
                    self._feed()
                for index, column, rows in turns:
                    self._draw_through(index, column)
                    self._decide(rows, index)
                    self.drawn[index] = column + 1
            if self.spec.score:
                self._feed()  # the values of the last tokens before each end-of-text
        width = max(self.end) + 1
        tokens = torch.full((self.rows, width), self.spec.pad, dtype=torch.long)
        for b, row in enumerate(self.tokens):
            tokens[b, : len(row)] = torch.tensor(row, dtype=torch.long)
        columns = torch.arange(width).unsqueeze(0)
        live = columns <= torch.tensor(self.end).unsqueeze(1)
        return Decoded(
            tokens=tokens,
            logprobs=self.logprobs[:, :width] * live,
            values=self.values[:, :width] * live,
        )
