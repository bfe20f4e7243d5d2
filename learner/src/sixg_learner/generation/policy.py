"""The three models of the RLDTF paper's Section III-C on one backbone, and sampling from the actor.

- **Actor** π_θ: the base checkpoint (frozen) with LoRA adapters on the attention projections
  (q, k, v, o); only the adapters train.
- **Critic** V_φ: `ValueHead` on the backbone's last hidden state. The backbone and its
  adapters are shared with the actor ("the critic retains the backbone of the foundation model"),
  so eq. (9)'s value term trains the adapters as well as the head.
- **Reference** π_ref: the adapters as they were at the last refresh, kept as a frozen copy of the
  LoRA tensors (a few MB), not as a second model. `using_reference` swaps them in for a
  `torch.no_grad()` forward and puts the actor's back afterwards; `refresh_reference` copies
  the actor's adapters into the copy (the paper: at checkpoint-saving intervals). A second peft
  adapter would do the same, but peft's `set_adapter` also flips `requires_grad` on the adapters it
  switches between; the swap leaves the trainable set and the optimizer untouched.

Sequences, B of them: a **shared prefix** of P₀ tokens (the longest token prefix all prompts have in
common: the system message and the one-shot example, ~1450 of the ~1580 prompt tokens here), then
per row the rest of the prompt, left-padded to P columns so that every answer starts at column P,
then the G answer columns (the generated tokens, end-of-text included, then padding). The prefix is
run once per forward, batch 1, and its keys/values are broadcast to the B rows (a B-fold saving on
the longest part of the input; exact: with the gradient enabled it flows back through the prefix).
Per-token tensors (log-probs, values, masks, advantages, weights) are (B, G) and aligned with the
*actions*: column j concerns the token at `input_ids[:, P + j]`, chosen in state
s = (prompt, answer[:j]), whose logits and hidden state sit at column P − 1 + j.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from torch import Tensor, nn
from transformers import AutoModelForCausalLM, AutoTokenizer, DynamicCache, PreTrainedTokenizerBase

from sixg_learner.generation.decoding import Chunk, DecodeSpec, PackedLlama, UnsupportedModel, decode
from sixg_learner.generation.grammar import UNLIMITED, RowState, StateLimits, grammar_for, mask_logits
from sixg_learner.tasks.prompting import PromptKind, build_messages
from sixg_learner.tasks.task import Task

log = logging.getLogger(__name__)

LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj")
SAMPLING_ROWS = 32
"""Rows per random generator: more prompts are sampled in chunks, each with its own seed (`derive_seed`).
`sample_reference` also decodes one chunk at a time (each row holds its prompt's keys/values)."""
DECODE_ROWS = 64
"""Most rows `sample` decodes at once (whole chunks; bigger batches are faster per token): its caches hold
~46 kB per token (30 layers × keys and values × 3 heads × 64 floats), ~7 MB per row for 160 answer tokens
plus ~6 MB per prompt for a 140-token prompt rest."""


class ValueHead(nn.Module):
    """The critic V_φ: the policy's backbone with a scalar head in place of the LM head.

    A `Linear(hidden, 1)` on the backbone's last hidden state; the backbone is shared with the policy
    (LoRA adapters train both), as the paper's critic "retains the backbone of the foundation model".
    Zero-initialised, so every V starts at 0 and the first advantages are the raw rewards.

    With `trains_backbone` False the head reads the backbone's states detached: eq. (7) then trains the
    head alone and cannot move the policy. The negotiator needs it: its rewards sit near 1.2, and a value
    loss that large, sent through the shared adapters, pulled the policy off its answers in two warm-up
    steps (KL to π_ref 0.44, a third of the answers invalid; docs/NEGOTIATOR.md, "PPO on the negotiator").
    """

    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.linear = nn.Linear(hidden_size, 1)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)
        self.trains_backbone = True

    def forward(self, hidden_states: Tensor) -> Tensor:
        """hidden_states (B, T, H) → values (B, T)."""
        states = hidden_states if self.trains_backbone else hidden_states.detach()
        return self.linear(states.float()).squeeze(-1)


@dataclass(frozen=True)
class LoraSettings:
    """The adapters' shape: part of every checkpoint's config."""

    r: int = 16
    """Rank of each adapter."""
    alpha: int = 32
    """LoRA scaling numerator (the update is B·A·alpha/r)."""
    targets: tuple[str, ...] = LORA_TARGETS
    """Projections that carry an adapter."""


@dataclass
class Policy:
    """Actor (base + LoRA), critic (value head on the shared backbone) and the reference adapters."""

    model: PeftModel
    value_head: ValueHead
    tokenizer: PreTrainedTokenizerBase
    base_dir: Path
    base_weights_sha256: str
    lora: LoraSettings
    reference: dict[str, Tensor] = field(default_factory=dict)
    """The reference policy's LoRA tensors, by parameter name (see the module docstring)."""
    prompt: PromptKind = "plain"
    """The prompt the model is trained and asked with (`prompting.PROMPTS`); checkpoints keep it."""

    def adapter_parameters(self) -> dict[str, torch.nn.Parameter]:
        return {name: p for name, p in self.model.named_parameters() if "lora_" in name}

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        """The adapters and the value head: what the optimizer updates, in a fixed order."""
        return [p for p in self.model.parameters() if p.requires_grad] + list(self.value_head.parameters())


def weights_sha256(model_dir: Path) -> str:
    """SHA-256 over the checkpoint's safetensors files (sorted by name): the base's identity in a lineage."""
    digest = hashlib.sha256()
    for path in sorted(Path(model_dir).glob("*.safetensors")):
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def load_policy(base_dir: Path, lora: LoraSettings = LoraSettings(), adapter_dir: Path | None = None) -> Policy:
    """The actor/critic/reference of a base checkpoint (a `convert.py` folder or any HF causal LM folder).

    With `adapter_dir` (a peft adapter folder, e.g. a training checkpoint) the adapters start from
    its weights, else from peft's initialisation (B = 0: the actor starts equal to the base). The
    value head starts at 0 and the reference equals the actor's adapters.
    """
    base_dir = Path(base_dir)
    base = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    if adapter_dir is None:
        config = LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=0.0, target_modules=list(lora.targets))
        model = get_peft_model(base, config)
    else:
        model = PeftModel.from_pretrained(base, adapter_dir, is_trainable=True)
    model.eval()  # no dropout anywhere: π_θold must be the policy that sampled
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    tokenizer.padding_side = "left"
    policy = Policy(
        model=model,
        value_head=ValueHead(base.config.hidden_size),
        tokenizer=tokenizer,
        base_dir=base_dir,
        base_weights_sha256=weights_sha256(base_dir),
        lora=lora,
    )
    refresh_reference(policy)
    return policy


def refresh_reference(policy: Policy) -> None:
    """π_ref ← π_θ: copy the actor's adapters into the reference (the paper: at checkpoint intervals)."""
    policy.reference = {name: p.detach().clone() for name, p in policy.adapter_parameters().items()}


def place_policy(policy: Policy, device: str) -> None:
    """Moves the actor, critic and reference to `device` and makes it torch's default there.

    The sampler, the grammar and the losses build their tensors with torch's factories, so the default
    device is what keeps them beside the model; the seeded `torch.Generator`s stay on the CPU (their
    draws are then the same on every device).
    """
    torch.set_default_device(device)
    if torch.device(device).type == "cuda":
        torch.set_float32_matmul_precision("high")  # TF32 tensor cores: float32 matmuls several times faster
    policy.model.to(device)
    policy.value_head.to(device)
    policy.reference = {name: t.to(device) for name, t in policy.reference.items()}


@contextmanager
def using_reference(policy: Policy) -> Iterator[None]:
    """Within the block (no_grad), the model computes π_ref: the reference adapters stand in for the actor's.

    The adapters' storage is swapped (`param.data`), not overwritten: the actor's tensors are never
    written to, so a graph that saved them (the shared prefix's, whose backward runs after the
    reference forwards of a minibatch) stays valid, and nothing is copied.
    """
    params = policy.adapter_parameters()
    actor = {name: p.data for name, p in params.items()}
    with torch.no_grad():
        try:
            for name, p in params.items():
                p.data = policy.reference[name]
            yield
        finally:
            for name, p in params.items():
                p.data = actor[name]


@dataclass
class Sequences:
    """Prompts and answers as one batch behind a shared prefix (layout in the module docstring)."""

    prefix_ids: Tensor
    """(P₀,) the token prefix every row shares (may be empty)."""
    input_ids: Tensor
    """(B, P + G) token ids after the prefix."""
    attention_mask: Tensor
    """(B, P + G) 1 on prompt and answer tokens, 0 on padding."""
    prompt_len: int
    """P: answers start at this column."""
    response_mask: Tensor
    """(B, G) float, 1 on the answer's tokens (end-of-text included), 0 after it."""
    allowed: Tensor | None = None
    """(B, G, A) the token ids the answer grammar allowed at each answer column (−1 pads), or None when
    the answers were not constrained. With it, `forward` gives the constrained policy's logits (grammar.py)."""

    @property
    def answer_len(self) -> int:
        return self.response_mask.shape[1]

    def select(self, rows: Tensor | Sequence[int]) -> Sequences:
        """The given rows, with the columns that are padding in every one of them trimmed on both sides."""
        rows = torch.as_tensor(rows, dtype=torch.long)
        attention = self.attention_mask[rows]
        left = int((attention.sum(0) > 0).float().argmax())  # first column any row attends to
        response = self.response_mask[rows]
        used = (response.sum(0) > 0).nonzero()
        answer_len = int(used.max()) + 1 if len(used) else 0
        end = self.prompt_len + answer_len
        return Sequences(
            prefix_ids=self.prefix_ids,
            input_ids=self.input_ids[rows, left:end],
            attention_mask=attention[:, left:end],
            prompt_len=self.prompt_len - left,
            response_mask=response[:, :answer_len],
            allowed=None if self.allowed is None else self.allowed[rows, :answer_len],
        )


@dataclass
class Rollout:
    """k sampled answers per prompt, with what PPO needs from the policy that sampled them (π_θold)."""

    sequences: Sequences
    prompt_index: list[int]
    """(B,) which prompt each answer belongs to (answers of one prompt are adjacent)."""
    answer_ids: list[list[int]]
    """The answer's token ids, end-of-text and padding excluded (what eq. (3) perturbs)."""
    texts: list[str]
    """The decoded answers (special tokens skipped)."""
    logprobs: Tensor
    """(B, G) log π_θold(a_t | s_t) of the sampled tokens, at the sampling temperature."""
    values: Tensor
    """(B, G) V_φ(s_t) of the critic at sampling time."""


PrefixKV = list[tuple[Tensor, Tensor]]
"""Keys and values of the shared prefix per layer, each (1, kv_heads, P₀, head_dim)."""


def prefix_kv(policy: Policy, prefix_ids: Tensor) -> PrefixKV:
    """Runs the shared prefix once (batch 1): its keys and values, differentiable when the gradient is on."""
    cache = policy.model(input_ids=prefix_ids.unsqueeze(0), use_cache=True).past_key_values
    return [(layer.keys, layer.values) for layer in cache.layers]


def broadcast_cache(policy: Policy, kv: PrefixKV, batch: int) -> DynamicCache:
    """A cache holding the prefix for each of `batch` rows (views, not copies; new tokens are appended by cat)."""
    return DynamicCache(
        ddp_cache_data=[(k.expand(batch, -1, -1, -1), v.expand(batch, -1, -1, -1)) for k, v in kv],
        config=policy.model.config,
    )


def forward(
    policy: Policy,
    seqs: Sequences,
    temperature: float = 1.0,
    prefix: PrefixKV | None = None,
    share_prompt: bool = True,
) -> tuple[Tensor, Tensor]:
    """Logits of the answer's actions (B, G, V), divided by `temperature`, and the critic's values (B, G).

    The prefix's keys/values are `prefix` when given (e.g. the reference's, computed once per PPO
    iteration), else computed here. Only the G answer columns reach the LM head (`logits_to_keep`);
    position ids follow the attention mask, as in `generate`, so a left-padded row gets the positions
    it had when sampled. When every row has the same prompt (the k answers of one task, as PPO's
    grouped minibatches give), the prompt's rest runs once, batch 1, like the prefix (`share_prompt`;
    exact, the gradient included).
    """
    batch, prefix_len, prompt_len = seqs.input_ids.shape[0], len(seqs.prefix_ids), seqs.prompt_len
    if share_prompt and batch > 1 and prompt_len > 0 and _same_prompt(seqs):
        return _forward_shared_prompt(policy, seqs, temperature, prefix)
    cache = None
    if prefix_len:
        cache = broadcast_cache(policy, prefix_kv(policy, seqs.prefix_ids) if prefix is None else prefix, batch)
    mask = torch.cat([torch.ones(batch, prefix_len, dtype=seqs.attention_mask.dtype), seqs.attention_mask], dim=1)
    position_ids = (mask.cumsum(-1) - 1).clamp(min=0)[:, prefix_len:]
    out = policy.model(
        input_ids=seqs.input_ids,
        attention_mask=mask,
        position_ids=position_ids,
        past_key_values=cache,
        use_cache=cache is not None,
        output_hidden_states=True,
        logits_to_keep=seqs.answer_len + 1,
    )
    logits = out.logits[:, :-1] / temperature  # (B, G, V): the output at column P − 1 + j chose a_j
    if seqs.allowed is not None:
        logits = mask_logits(logits, seqs.allowed)  # π_c: renormalised over what the grammar allows
    hidden = out.hidden_states[-1][:, prompt_len - 1 : -1]  # (B, G, H)
    return logits, policy.value_head(hidden)


def _same_prompt(seqs: Sequences) -> bool:
    prompt, attention = seqs.input_ids[:, : seqs.prompt_len], seqs.attention_mask[:, : seqs.prompt_len]
    return bool((prompt == prompt[:1]).all()) and bool((attention == attention[:1]).all())


def _forward_shared_prompt(
    policy: Policy, seqs: Sequences, temperature: float, prefix: PrefixKV | None
) -> tuple[Tensor, Tensor]:
    """`forward` for rows with one prompt: prompt columns once (batch 1), then the B answers behind its cache."""
    batch, prefix_len, prompt_len = seqs.input_ids.shape[0], len(seqs.prefix_ids), seqs.prompt_len
    mask = torch.cat([torch.ones(batch, prefix_len, dtype=seqs.attention_mask.dtype), seqs.attention_mask], dim=1)
    position_ids = (mask.cumsum(-1) - 1).clamp(min=0)[:, prefix_len:]
    cache = None
    if prefix_len:
        cache = broadcast_cache(policy, prefix_kv(policy, seqs.prefix_ids) if prefix is None else prefix, 1)
    head = policy.model(
        input_ids=seqs.input_ids[:1, :prompt_len],
        attention_mask=mask[:1, : prefix_len + prompt_len],
        position_ids=position_ids[:1, :prompt_len],
        past_key_values=cache if cache is not None else DynamicCache(config=policy.model.config),
        use_cache=True,
        output_hidden_states=True,
        logits_to_keep=1,
    )
    prompt_kv = [(layer.keys, layer.values) for layer in head.past_key_values.layers]
    out = policy.model(
        input_ids=seqs.input_ids[:, prompt_len:],
        attention_mask=mask,
        position_ids=position_ids[:, prompt_len:],
        past_key_values=broadcast_cache(policy, prompt_kv, batch),
        use_cache=True,
        output_hidden_states=True,
        logits_to_keep=seqs.answer_len,
    )
    # the last prompt column chose a_0 (the same for every row); answer column j − 1 chose a_j
    logits = torch.cat([head.logits.expand(batch, -1, -1), out.logits[:, :-1]], dim=1) / temperature
    if seqs.allowed is not None:
        logits = mask_logits(logits, seqs.allowed)
    hidden = torch.cat([head.hidden_states[-1][:, -1:].expand(batch, -1, -1), out.hidden_states[-1][:, :-1]], dim=1)
    return logits, policy.value_head(hidden)


def shared_prefix_len(token_lists: Sequence[Sequence[int]]) -> int:
    """Length of the longest common prefix, leaving every list at least one token of its own."""
    limit = min(len(ids) for ids in token_lists) - 1
    length = 0
    while length < limit and len({ids[length] for ids in token_lists}) == 1:
        length += 1
    return length


def answer_actions(seqs: Sequences) -> Tensor:
    """(B, G) the answer's token ids: the actions the per-token tensors are aligned with."""
    return seqs.input_ids[:, seqs.prompt_len :]


def chat_prompts(tasks: Sequence[Task], policy: Policy) -> list[str]:
    """The prompt of every task (`prompting.build_messages`) through the model's chat template: what `sample` takes."""
    return [
        policy.tokenizer.apply_chat_template(
            build_messages(task, policy.prompt), tokenize=False, add_generation_prompt=True
        )
        for task in tasks
    ]


def sample(
    policy: Policy,
    prompts: Sequence[str],
    k: int,
    max_new_tokens: int,
    temperature: float,
    seed: int,
    score: bool = True,
    constrained: bool = True,
    greedy: bool = False,
    limits: Sequence[StateLimits] | None = None,
) -> Rollout:
    """k answers per prompt from the actor, by plain temperature sampling (no top-k/top-p: the policy is softmax(z/T)).

    With `constrained` (the default) the policy is the grammar-constrained π_c of grammar.py, and the
    rollout's sequences carry the allowed tokens, so every later forward (PPO, SFT) computes the same
    π_c. `limits` (one per prompt) are the tasks' system states the constrained answers must fit
    (default: unlimited). `greedy` takes the most likely token instead of sampling (evaluation).
    Deterministic per `seed` (a private generator per chunk of `SAMPLING_ROWS` rows; the global torch
    RNG is not touched). `prompts` are full prompt strings, chat template applied.

    The log-probs and critic values of the answers are read off the decoding itself (with `score`):
    π_θold and V_φ(s_t) as PPO needs them, at every answer column (a forced token's log-prob is 0);
    a full `forward` over the same sequences reproduces them to float rounding, so r_t = 1 at the
    first epoch up to ~1e−6. The decoding runs on `decoding.py`'s engine (a preallocated cache, the
    prefix once, the grammar's forced runs fed in one forward, logits only where there is a choice);
    for a seed it gives the same answers as `sample_reference`, the straightforward loop on
    transformers' forward (tests/test_policy_sampling.py), several times faster
    (`npm run bench:sixg-sampling`). A model the engine cannot run (not a llama, adapters other than
    plain LoRA) is sampled by `sample_reference`.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
    prompt_limits = [UNLIMITED] * len(prompts) if limits is None else list(limits)
    if len(prompt_limits) != len(prompts):
        raise ValueError(f"{len(prompt_limits)} limits for {len(prompts)} prompts")
    try:
        engine = PackedLlama(policy.model)
    except UnsupportedModel as reason:
        log.debug("sampling with sample_reference: %s", reason)
        return sample_reference(
            policy, prompts, k, max_new_tokens, temperature, seed, score, constrained, greedy, limits
        )
    started = time.perf_counter()
    tokenizer = policy.tokenizer
    token_lists = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    prefix_len = shared_prefix_len(token_lists)  # over all prompts: one prefix for every chunk
    prefix_ids = torch.tensor(token_lists[0][:prefix_len], dtype=torch.long)  # (P₀,)
    rests = [ids[prefix_len:] for ids in token_lists]
    prompt_len = max(len(ids) for ids in rests)
    pad, eos = tokenizer.pad_token_id, tokenizer.eos_token_id
    pad = eos if pad is None else pad
    # the random draws of sample_reference: one generator per chunk of prompts, seeded as it seeds them
    per_chunk = max(1, SAMPLING_ROWS // k)
    starts = list(range(0, len(prompts), per_chunk))
    chunks = [
        Chunk(
            start=i * k,
            stop=min(i + per_chunk, len(prompts)) * k,
            seed=derive_seed(seed, "sample-chunk", i) if len(starts) > 1 else seed,
        )
        for i in starts
    ]
    grammar = grammar_for(tokenizer) if constrained else None
    row_limits = [lim for lim in prompt_limits for _ in range(k)]
    spec = DecodeSpec(
        rests=rests,
        k=k,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        greedy=greedy,
        score=score,
        grammar=grammar,
        row_limits=row_limits,
        eos=int(eos),
        pad=int(pad),
    )
    with torch.no_grad():
        prefix = engine.prefill_prefix(token_lists[0][:prefix_len])
        decoded = decode(engine, policy.value_head, prefix, spec, chunks, DECODE_ROWS)
    generated = decoded.tokens  # (B, G)
    is_eos = generated == eos
    first_eos = torch.where(is_eos.any(1), is_eos.int().argmax(1), generated.shape[1])  # (B,)
    columns = torch.arange(generated.shape[1]).unsqueeze(0)
    response_mask = (columns <= first_eos.unsqueeze(1)).float()  # the end-of-text token is an action too
    distinct_ids = torch.tensor([[pad] * (prompt_len - len(ids)) + ids for ids in rests])  # (N, P)
    distinct_mask = torch.tensor([[0] * (prompt_len - len(ids)) + [1] * len(ids) for ids in rests])
    seqs = Sequences(
        prefix_ids=prefix_ids,
        input_ids=torch.cat([distinct_ids.repeat_interleave(k, dim=0), generated], dim=1),
        attention_mask=torch.cat([distinct_mask.repeat_interleave(k, dim=0), response_mask.long()], dim=1),
        prompt_len=prompt_len,
        response_mask=response_mask,
    )
    if grammar is not None:
        seqs.allowed = grammar.allowed_tensor(generated.tolist(), generated.shape[1], row_limits)
    answer_ids = [row[: int(end)].tolist() for row, end in zip(generated, first_eos, strict=True)]
    log.info(
        "sampled %d prompts × %d (%d answer tokens) in %.1f s",
        len(prompts),
        k,
        int(response_mask.sum()),
        time.perf_counter() - started,
    )
    return Rollout(
        sequences=seqs,
        prompt_index=[i for i in range(len(prompts)) for _ in range(k)],
        answer_ids=answer_ids,
        texts=tokenizer.batch_decode(answer_ids, skip_special_tokens=True),
        logprobs=decoded.logprobs * response_mask,
        values=decoded.values * response_mask,
    )


def sample_reference(
    policy: Policy,
    prompts: Sequence[str],
    k: int,
    max_new_tokens: int,
    temperature: float,
    seed: int,
    score: bool = True,
    constrained: bool = True,
    greedy: bool = False,
    limits: Sequence[StateLimits] | None = None,
) -> Rollout:
    """`sample` as it was first written, on transformers' forward and `DynamicCache`: kept to check `sample` against.

    Same contract and, for a seed, the same answers as `sample` (tests/test_policy_sampling.py); several
    times slower (`npm run bench:sixg-sampling`): every step re-copies each row's keys/values, runs one
    forward per token (forced ones included) and the full LM head on every row.

    With `constrained` (the default) the policy is the grammar-constrained π_c of grammar.py, and the
    rollout's sequences carry the allowed tokens, so every later forward (PPO, SFT) computes the same
    π_c. `limits` (one per prompt) are the tasks' system states the constrained answers must fit
    (default: unlimited). `greedy` takes the most likely token instead of sampling (evaluation). Deterministic per
    `seed` (a private generator; the global torch RNG is not touched). `prompts` are full prompt
    strings, chat template applied.

    The decoding loop is written out rather than `generate`: each distinct prompt is prefilled once
    and its keys/values repeated for its k rows (a k-fold saving on the per-task part of the prompt),
    and the log-probs and critic values of the sampled tokens are read off the decoding steps
    themselves (with `score`) instead of a second pass over the sequences. They are π_θold and
    V_φ(s_t) as PPO needs them; a full forward over the same sequences reproduces them to float
    rounding (tests/test_policy_sampling.py), so r_t = 1 at the first epoch up to ~1e−6.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    per_chunk = max(1, SAMPLING_ROWS // k)
    if len(prompts) > per_chunk:  # bound the keys/values held at once: ~80 MB per row for these prompts
        parts = []
        started = time.perf_counter()
        for i in range(0, len(prompts), per_chunk):
            chunk_seed = derive_seed(seed, "sample-chunk", i)
            chunk = prompts[i : i + per_chunk]
            chunk_limits = None if limits is None else limits[i : i + per_chunk]
            parts.append(
                sample_reference(
                    policy, chunk, k, max_new_tokens, temperature, chunk_seed, score, constrained, greedy, chunk_limits
                )
            )
            done = min(i + per_chunk, len(prompts))
            log.info("sampled %d/%d prompts × %d in %.0f s", done, len(prompts), k, time.perf_counter() - started)
        return concat_rollouts(parts, per_chunk)
    tokenizer = policy.tokenizer
    token_lists = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    prefix_len = shared_prefix_len(token_lists)
    prefix_ids = torch.tensor(token_lists[0][:prefix_len], dtype=torch.long)  # (P₀,)
    rests = [ids[prefix_len:] for ids in token_lists]  # one per distinct prompt
    prompt_len = max(len(ids) for ids in rests)
    pad, eos = tokenizer.pad_token_id, tokenizer.eos_token_id
    pad = eos if pad is None else pad
    distinct_ids = torch.tensor([[pad] * (prompt_len - len(ids)) + ids for ids in rests])  # (N, P)
    distinct_mask = torch.tensor([[0] * (prompt_len - len(ids)) + [1] * len(ids) for ids in rests])
    batch = len(prompts) * k
    grammar = grammar_for(tokenizer) if constrained else None
    prompt_limits = [UNLIMITED] * len(prompts) if limits is None else list(limits)
    if len(prompt_limits) != len(prompts):
        raise ValueError(f"{len(prompt_limits)} limits for {len(prompts)} prompts")
    row_limits = [lim for lim in prompt_limits for _ in range(k)]
    states = [RowState(limits=lim) for lim in row_limits]
    generator = torch.Generator().manual_seed(seed)
    steps_logp: list[Tensor] = []
    steps_value: list[Tensor] = []
    tokens: list[Tensor] = []
    with torch.no_grad():
        kv = prefix_kv(policy, prefix_ids) if prefix_len else None
        cache = broadcast_cache(policy, kv, len(prompts)) if kv is not None else None
        mask = torch.cat([torch.ones(len(prompts), prefix_len, dtype=torch.long), distinct_mask], dim=1)
        out = policy.model(
            input_ids=distinct_ids,
            attention_mask=mask,
            position_ids=(mask.cumsum(-1) - 1).clamp(min=0)[:, prefix_len:],
            past_key_values=cache,
            use_cache=True,
            output_hidden_states=True,
            logits_to_keep=1,
        )
        # k rows per prompt: repeat the prompt's cache (a copy: each row appends its own tokens)
        cache = out.past_key_values
        for layer in cache.layers:
            layer.keys = layer.keys.repeat_interleave(k, dim=0)
            layer.values = layer.values.repeat_interleave(k, dim=0)
        mask = mask.repeat_interleave(k, dim=0)
        logits = out.logits[:, -1].repeat_interleave(k, dim=0)  # (B, V)
        hidden = out.hidden_states[-1][:, -1:].repeat_interleave(k, dim=0)  # (B, 1, H)
        finished = torch.zeros(batch, dtype=torch.bool)
        for _ in range(max_new_tokens):
            scores = logits.float() / temperature  # (B, V)
            if grammar is not None:
                # the softmax over the allowed tokens only: π_c, without touching the other ~49k logits
                candidates = _allowed_index([grammar.allowed(state) for state in states])  # (B, A), −1 pads
                scores = scores.gather(-1, candidates.clamp(min=0)).masked_fill(candidates < 0, float("-inf"))
            logp = torch.log_softmax(scores, dim=-1)
            if greedy:
                pick = logp.argmax(-1)
            else:
                pick = torch.multinomial(logp.exp().cpu(), 1, generator=generator).squeeze(-1).to(logp.device)
            chosen = candidates.gather(-1, pick.unsqueeze(-1)).squeeze(-1) if grammar is not None else pick
            chosen = torch.where(finished, torch.full_like(chosen, pad), chosen)
            tokens.append(chosen)
            if score:
                steps_logp.append(logp.gather(-1, pick.unsqueeze(-1)).squeeze(-1))
                steps_value.append(policy.value_head(hidden).squeeze(-1))
            if grammar is not None:
                for row, state in enumerate(states):
                    grammar.advance(state, int(chosen[row]))
            finished = finished | (chosen == eos)
            if bool(finished.all()):
                break
            mask = torch.cat([mask, (~finished).long().unsqueeze(1)], dim=1)
            out = policy.model(
                input_ids=chosen.unsqueeze(1),
                attention_mask=mask,
                position_ids=(mask.sum(1, keepdim=True) - 1),
                past_key_values=cache,
                use_cache=True,
                output_hidden_states=score,
            )
            logits = out.logits[:, -1]
            if score:
                hidden = out.hidden_states[-1][:, -1:]
    generated = torch.stack(tokens, dim=1)  # (B, G)
    is_eos = generated == eos
    first_eos = torch.where(is_eos.any(1), is_eos.int().argmax(1), generated.shape[1])  # (B,)
    columns = torch.arange(generated.shape[1]).unsqueeze(0)
    response_mask = (columns <= first_eos.unsqueeze(1)).float()  # the end-of-text token is an action too
    prompt_ids = distinct_ids.repeat_interleave(k, dim=0)
    prompt_mask = distinct_mask.repeat_interleave(k, dim=0)
    seqs = Sequences(
        prefix_ids=prefix_ids,
        input_ids=torch.cat([prompt_ids, generated], dim=1),
        attention_mask=torch.cat([prompt_mask, response_mask.long()], dim=1),
        prompt_len=prompt_len,
        response_mask=response_mask,
    )
    if grammar is not None:
        seqs.allowed = grammar.allowed_tensor(generated.tolist(), generated.shape[1], row_limits)
    answer_ids = [row[: int(end)].tolist() for row, end in zip(generated, first_eos, strict=True)]
    if score:
        logprobs, values = torch.stack(steps_logp, dim=1), torch.stack(steps_value, dim=1)
    else:
        logprobs, values = torch.zeros_like(response_mask), torch.zeros_like(response_mask)
    return Rollout(
        sequences=seqs,
        prompt_index=[i for i in range(len(prompts)) for _ in range(k)],
        answer_ids=answer_ids,
        texts=tokenizer.batch_decode(answer_ids, skip_special_tokens=True),
        logprobs=logprobs * response_mask,
        values=values * response_mask,
    )


def _pad_columns(t: Tensor, width: int, value: float | int) -> Tensor:
    pad = width - t.shape[1]
    if pad == 0:
        return t
    return torch.cat([t, torch.full((t.shape[0], pad, *t.shape[2:]), value, dtype=t.dtype)], dim=1)


def _allowed_index(allowed: Sequence[Sequence[int]]) -> Tensor:
    """Per row the allowed token ids, as a (B, A) tensor padded with −1."""
    width = max(len(a) for a in allowed)
    return torch.tensor([[*a, *([-1] * (width - len(a)))] for a in allowed], dtype=torch.long)


def concat_rollouts(parts: Sequence[Rollout], prompts_per_part: int) -> Rollout:
    """Rollouts of consecutive prompt chunks as one (same prefix; answers and prompts padded to the widest)."""
    width = max(r.sequences.answer_len for r in parts)
    prompt_len = max(r.sequences.prompt_len for r in parts)
    ids, attention, response, allowed = [], [], [], []
    for r in parts:
        s, left = r.sequences, prompt_len - r.sequences.prompt_len
        pad = r.sequences.input_ids.new_full((s.input_ids.shape[0], left), 0)
        ids.append(torch.cat([pad, _pad_columns(s.input_ids, s.prompt_len + width, 0)], dim=1))
        attention.append(torch.cat([pad, _pad_columns(s.attention_mask, s.prompt_len + width, 0)], dim=1))
        response.append(_pad_columns(s.response_mask, width, 0.0))
        if s.allowed is not None:
            wide = _pad_columns(s.allowed, width, -1)
            allowed.append(wide)
    if allowed:
        depth = max(a.shape[2] for a in allowed)
        allowed = [torch.cat([a, a.new_full((*a.shape[:2], depth - a.shape[2]), -1)], dim=2) for a in allowed]
    seqs = Sequences(
        prefix_ids=parts[0].sequences.prefix_ids,
        input_ids=torch.cat(ids),
        attention_mask=torch.cat(attention),
        prompt_len=prompt_len,
        response_mask=torch.cat(response),
        allowed=torch.cat(allowed) if allowed else None,
    )
    return Rollout(
        sequences=seqs,
        prompt_index=[i * prompts_per_part + j for i, r in enumerate(parts) for j in r.prompt_index],
        answer_ids=[a for r in parts for a in r.answer_ids],
        texts=[t for r in parts for t in r.texts],
        logprobs=torch.cat([_pad_columns(r.logprobs, width, 0.0) for r in parts]),
        values=torch.cat([_pad_columns(r.values, width, 0.0) for r in parts]),
    )


def select_rollout(rollout: Rollout, rows: Sequence[int]) -> Rollout:
    """The given answers of a rollout, with their columns trimmed (see `Sequences.select`)."""
    seqs = rollout.sequences.select(rows)
    index = torch.as_tensor(rows, dtype=torch.long)
    return replace(
        rollout,
        sequences=seqs,
        prompt_index=[rollout.prompt_index[i] for i in rows],
        answer_ids=[rollout.answer_ids[i] for i in rows],
        texts=[rollout.texts[i] for i in rows],
        logprobs=rollout.logprobs[index, : seqs.answer_len],
        values=rollout.values[index, : seqs.answer_len],
    )


def derive_seed(seed: int, phase: str, step: int) -> int:
    """A seed for one step of one phase: a step's randomness does not depend on the steps before it."""
    digest = hashlib.sha256(f"{seed}:{phase}:{step}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1
