"""The three models of the RLDTF paper's Section III-C on one backbone, and sampling from the actor.

- **Actor** π_θ: the base checkpoint (frozen) with LoRA adapters on the attention projections
  (q, k, v, o); only the adapters train.
- **Critic** V_φ: `ppo.ValueHead` on the backbone's last hidden state. The backbone and its
  adapters are shared with the actor ("the critic retains the backbone of the foundation model"),
  so eq. (9)'s value term trains the adapters as well as the head.
- **Reference** π_ref: the adapters as they were at the last refresh, kept as a frozen copy of the
  LoRA tensors (a few MB), not as a second model. `using_reference` copies them into the adapters
  for a `torch.no_grad()` forward and puts the actor's back afterwards; `refresh_reference` copies
  the actor's adapters into the copy (the paper: at checkpoint-saving intervals). A second peft
  adapter would do the same, but peft's `set_adapter` also flips `requires_grad` on the adapters it
  switches between; the swap leaves the trainable set and the optimizer untouched.

Sequences, B of them (prompt and answer, P + G columns): the prompt is left-padded to P columns,
so every answer starts at column P; the G answer columns hold the generated tokens, the end-of-text
token included, then padding. Per-token tensors (log-probs, values, masks, advantages, weights) are
(B, G) and aligned with the *actions*: column j concerns the token at `input_ids[:, P + j]`, chosen
in state s = (prompt, answer[:j]), whose logits and hidden state sit at column P − 1 + j.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from torch import Tensor
from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig, PreTrainedTokenizerBase

from .ppo import ValueHead, token_logprobs

LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj")


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


@contextmanager
def using_reference(policy: Policy) -> Iterator[None]:
    """Within the block (no_grad), the model computes π_ref: the reference adapters stand in for the actor's."""
    params = policy.adapter_parameters()
    actor = {name: p.detach().clone() for name, p in params.items()}
    with torch.no_grad():
        try:
            for name, p in params.items():
                p.copy_(policy.reference[name])
            yield
        finally:
            for name, p in params.items():
                p.copy_(actor[name])


@dataclass
class Sequences:
    """Prompts and answers as one left-padded batch (layout in the module docstring)."""

    input_ids: Tensor
    """(B, P + G) token ids."""
    attention_mask: Tensor
    """(B, P + G) 1 on prompt and answer tokens, 0 on padding."""
    prompt_len: int
    """P: answers start at this column."""
    response_mask: Tensor
    """(B, G) float, 1 on the answer's tokens (end-of-text included), 0 after it."""

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
            input_ids=self.input_ids[rows, left:end],
            attention_mask=attention[:, left:end],
            prompt_len=self.prompt_len - left,
            response_mask=response[:, :answer_len],
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


def forward(policy: Policy, seqs: Sequences, temperature: float = 1.0) -> tuple[Tensor, Tensor]:
    """Logits of the answer's actions (B, G, V), divided by `temperature`, and the critic's values (B, G).

    Only the G answer columns reach the LM head (`logits_to_keep`); position ids follow the
    attention mask, as in `generate`, so a left-padded prompt gets the positions it had when sampled.
    """
    position_ids = (seqs.attention_mask.cumsum(-1) - 1).clamp(min=0)
    out = policy.model(
        input_ids=seqs.input_ids,
        attention_mask=seqs.attention_mask,
        position_ids=position_ids,
        output_hidden_states=True,
        logits_to_keep=seqs.answer_len + 1,
    )
    logits = out.logits[:, :-1] / temperature  # (B, G, V): the output at column P − 1 + j chose a_j
    hidden = out.hidden_states[-1][:, seqs.prompt_len - 1 : -1]  # (B, G, H)
    return logits, policy.value_head(hidden)


def answer_actions(seqs: Sequences) -> Tensor:
    """(B, G) the answer's token ids: the actions the per-token tensors are aligned with."""
    return seqs.input_ids[:, seqs.prompt_len :]


def sample(
    policy: Policy,
    prompts: Sequence[str],
    k: int,
    max_new_tokens: int,
    temperature: float,
    seed: int,
) -> Rollout:
    """k answers per prompt from the actor, by plain temperature sampling (no top-k/top-p: the policy is softmax(z/T)).

    Deterministic per `seed` (the global torch RNG is left as it was). `prompts` are full prompt
    strings, chat template applied. The old log-probs and values come from one forward pass over
    the sampled sequences, the same computation as the PPO update's, so r_t = 1 at the first epoch.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    tokenizer = policy.tokenizer
    encoded = tokenizer(list(prompts), return_tensors="pt", padding=True, add_special_tokens=False)
    prompt_ids = encoded["input_ids"].repeat_interleave(k, dim=0)  # (B, P), B = len(prompts)·k
    prompt_mask = encoded["attention_mask"].repeat_interleave(k, dim=0)
    generation = GenerationConfig(
        do_sample=True,
        temperature=temperature,
        top_k=0,
        top_p=1.0,
        max_new_tokens=max_new_tokens,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        output = policy.model.generate(input_ids=prompt_ids, attention_mask=prompt_mask, generation_config=generation)
    prompt_len = prompt_ids.shape[1]
    generated = output[:, prompt_len:]  # (B, G)
    is_eos = generated == tokenizer.eos_token_id
    first_eos = torch.where(is_eos.any(1), is_eos.int().argmax(1), generated.shape[1])  # (B,)
    columns = torch.arange(generated.shape[1]).unsqueeze(0)
    response_mask = (columns <= first_eos.unsqueeze(1)).float()  # the end-of-text token is an action too
    seqs = Sequences(
        input_ids=output,
        attention_mask=torch.cat([prompt_mask, response_mask.long()], dim=1),
        prompt_len=prompt_len,
        response_mask=response_mask,
    )
    answer_ids = [row[: int(end)].tolist() for row, end in zip(generated, first_eos, strict=True)]
    with torch.no_grad():
        logits, values = forward(policy, seqs, temperature)
        logprobs = token_logprobs(logits, answer_actions(seqs))
    return Rollout(
        sequences=seqs,
        prompt_index=[i for i in range(len(prompts)) for _ in range(k)],
        answer_ids=answer_ids,
        texts=tokenizer.batch_decode(answer_ids, skip_special_tokens=True),
        logprobs=logprobs * response_mask,
        values=values * response_mask,
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
