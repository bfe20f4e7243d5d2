"""Training checkpoints: small (adapters, value head, optimizer, RNG), carrying their config and lineage.

A checkpoint folder holds

- `adapter_config.json` + `adapter_model.safetensors`: the actor's LoRA adapters (peft's format);
- `reference_adapter.safetensors`: the reference policy's adapters (by parameter name);
- `value_head.safetensors`: the critic's head;
- `optimizer.pt`, `rng.pt`: AdamW's state and the torch / Python RNG states;
- `checkpoint.json`: `{"step", "phase", "lora", "prompt", "config", "lineage", "metrics"}` (`prompt`: the
  `prompting.PROMPTS` variant the model was trained with, "plain" when absent), with the lineage
  `{"base": {"dir", "weights_sha256", "gguf"}, "dataset": {"file", "sha256"}, "parent", "step",
  "phase", "created"}`: which base weights (by content hash, and the GGUF they were converted from),
  which task file (by content hash), which checkpoint it continues, after how many steps of which
  phase ("sft": epochs of domain instruction tuning, "distill": epochs of twin-search distillation,
  "rs": rejection-sampling rounds, "ppo": PPO iterations).

Never the base model itself (538 MB for SmolLM2-135M): loading reads the base from the lineage's
folder and refuses one whose weights hash differs. `merge_and_export` writes the full merged model
(transformers format); `export_gguf.py` turns that into the GGUF llama.cpp serves.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import torch
from safetensors.torch import load_file, save_file

from sixg_learner.export.convert import LINEAGE_FILE, read_lineage
from sixg_learner.files import staged_directory
from sixg_learner.generation.policy import LoraSettings, Policy, load_policy, weights_sha256

CHECKPOINT_FILE = "checkpoint.json"
REFERENCE_FILE = "reference_adapter.safetensors"
VALUE_HEAD_FILE = "value_head.safetensors"
OPTIMIZER_FILE = "optimizer.pt"
RNG_FILE = "rng.pt"

Phase = Literal["sft", "distill", "rs", "ppo"]


@dataclass
class Checkpoint:
    policy: Policy
    optimizer_state: dict[str, Any]
    step: int
    phase: Phase
    config: dict[str, Any]
    lineage: dict[str, Any]
    metrics: dict[str, Any] | None
    """The metrics of the step that produced the checkpoint, if the run gave them."""
    directory: Path


def is_checkpoint(directory: Path) -> bool:
    return (Path(directory) / CHECKPOINT_FILE).is_file()


def base_lineage(policy: Policy) -> dict[str, Any]:
    """The base's identity: its folder, its weights' hash and the GGUF it was converted from (if it was)."""
    converted = read_lineage(policy.base_dir)
    return {
        "dir": str(policy.base_dir),
        "weights_sha256": policy.base_weights_sha256,
        "gguf": converted["base"] if converted else None,
    }


def make_lineage(
    policy: Policy, dataset: Path, dataset_sha256: str, parent: Path | None, step: int, phase: Phase
) -> dict[str, Any]:
    return {
        "base": base_lineage(policy),
        "dataset": {"file": str(dataset), "sha256": dataset_sha256},
        "parent": str(parent) if parent is not None else None,
        "step": step,
        "phase": phase,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _rng_state() -> dict[str, Any]:
    return {"torch": torch.get_rng_state(), "python": random.getstate()}


def restore_rng(directory: Path) -> None:
    """Puts back the torch and Python RNG states saved with a checkpoint."""
    state = torch.load(Path(directory) / RNG_FILE, weights_only=False)
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])


def save_checkpoint(
    directory: Path,
    policy: Policy,
    optimizer: torch.optim.Optimizer,
    step: int,
    config: dict[str, Any],
    lineage: dict[str, Any],
    metrics: dict[str, Any] | None = None,
) -> Path:
    """Writes a checkpoint folder (module docstring) atomically: built beside `directory`, then moved in place."""
    directory = Path(directory)
    with staged_directory(directory) as staging:
        policy.model.save_pretrained(staging)
        save_file({k: v.contiguous() for k, v in policy.reference.items()}, staging / REFERENCE_FILE)
        save_file(policy.value_head.state_dict(), staging / VALUE_HEAD_FILE)
        torch.save(optimizer.state_dict(), staging / OPTIMIZER_FILE)
        torch.save(_rng_state(), staging / RNG_FILE)
        meta = {
            "step": step,
            "phase": lineage["phase"],
            "lora": asdict(policy.lora),
            "prompt": policy.prompt,
            "config": config,
            "lineage": lineage,
            "metrics": metrics,
        }
        (staging / CHECKPOINT_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    return directory


def checkpoint_step(
    directory: Path,
    policy: Policy,
    optimizer: torch.optim.Optimizer,
    step: int,
    phase: Phase,
    config: dict[str, Any],
    metrics: dict[str, Any],
    dataset: Path,
    dataset_sha256: str,
    parent: Path | None,
) -> Path:
    """The checkpoint after a step of a run (RS round, PPO step, SFT epoch) with its lineage; notes it in `metrics`."""
    lineage = make_lineage(policy, dataset, dataset_sha256, parent, step, phase)
    save_checkpoint(directory, policy, optimizer, step, config, lineage, metrics)
    metrics["checkpoint"] = str(directory)
    return directory


def load_checkpoint(directory: Path) -> Checkpoint:
    """The policy (actor, critic, reference) and the training state of a checkpoint folder.

    The optimizer state is returned, not applied (the caller builds the optimizer over
    `policy.trainable_parameters()` and loads it); the RNG states are put back by `restore_rng`.
    """
    directory = Path(directory)
    meta = json.loads((directory / CHECKPOINT_FILE).read_text())
    base = meta["lineage"]["base"]
    base_dir = Path(base["dir"])
    if weights_sha256(base_dir) != base["weights_sha256"]:
        raise ValueError(f"{directory}: its base {base_dir} does not hold the weights it was trained from")
    lora = LoraSettings(**{**meta["lora"], "targets": tuple(meta["lora"]["targets"])})
    policy = load_policy(base_dir, lora, adapter_dir=directory)
    policy.value_head.load_state_dict(load_file(directory / VALUE_HEAD_FILE))
    reference = load_file(directory / REFERENCE_FILE)
    if reference.keys() != policy.reference.keys():
        raise ValueError(f"{directory}: the reference adapters do not match the actor's")
    policy.reference = reference
    policy.prompt = meta.get("prompt", "plain")  # checkpoints from before the link-budget prompt
    return Checkpoint(
        policy=policy,
        optimizer_state=torch.load(directory / OPTIMIZER_FILE, weights_only=True, map_location="cpu"),
        step=meta["step"],
        phase=meta["phase"],
        config=meta["config"],
        lineage=meta["lineage"],
        metrics=meta.get("metrics"),
        directory=directory,
    )


def merge_and_export(checkpoint_dir: Path, out_dir: Path) -> Path:
    """The checkpoint's actor as a full Hugging Face model folder (adapters merged into the base weights).

    Writes the model, the tokenizer and `maestro_lineage.json` in convert.py's format (`base` = the
    GGUF, `step`) plus the phase and the checkpoint it came from. Not a GGUF: `export_gguf.export_gguf`
    writes that from this folder (the learner worker does it when it promotes a model).
    """
    checkpoint = load_checkpoint(checkpoint_dir)
    merged = checkpoint.policy.model.merge_and_unload()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(out_dir)
    checkpoint.policy.tokenizer.save_pretrained(out_dir)
    lineage = {
        "base": checkpoint.lineage["base"]["gguf"],
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "step": checkpoint.step,
        "phase": checkpoint.phase,
        "prompt": checkpoint.policy.prompt,
        "checkpoint": str(checkpoint_dir),
        "base_weights_sha256": checkpoint.lineage["base"]["weights_sha256"],
        "dataset": checkpoint.lineage["dataset"],
    }
    (out_dir / LINEAGE_FILE).write_text(json.dumps(lineage, indent=2) + "\n")
    return out_dir
