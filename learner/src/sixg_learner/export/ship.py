"""The trained 6G-LLM a fresh clone serves: a small committed artefact, rebuilt into the served model at start.

    python -m sixg_learner.export.ship pack --checkpoint DIR --evaluation REPORT [--out learner/models/sixg-llm]
    python -m sixg_learner.export.ship install            # what `npm start` runs: a no-op when up to date
    python -m sixg_learner.export.ship install-negotiator # the same for the trained negotiator (issue 15)

`pack` copies what serving needs from a training checkpoint: the LoRA adapters (as float16, ~4 MB),
their config, the checkpoint's lineage and metrics, and a `manifest.json` with every file's sha256,
the prompt the model was trained with (`prompt`, which the model server lists with `sixg-llm`),
the base GGUF the adapters were trained on (file and sha256), the held-out evaluation summary and the
command that reproduces the training. Never the base model (538 MB), the optimizer or the RNG.

`install` rebuilds the served model from it: the base from the registry package's GGUF
(`convert.convert_gguf`, ~1 min), the adapters merged in, the result exported to
`data/models/promoted.gguf` (`export_gguf`), and `data/models/promoted.json` written last (the
record `sixg:eval --model promoted` and the model server read). A promoted.json that a local
retraining pipeline wrote (no `shipped` field) is left alone: the newer local model wins.

The trained negotiator (`learner/models/negotiator`, packed the same way from a `train sft` checkpoint
with its `negotiator:rollout` summary as the evaluation) is installed by `install-negotiator` into
`data/models/negotiator.gguf` (Q8_0), which the model server serves as its chat model.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sixg_learner.export.convert import DEFAULT_OUT_DIR, LINEAGE_FILE, convert_gguf, packaged_gguf, sha256_of
from sixg_learner.export.export_gguf import export_gguf

SHIPPED_DIR = Path("learner/models/sixg-llm")
MANIFEST_FILE = "manifest.json"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
PROMOTED_FILE = Path("data/models/promoted.json")
PROMOTED_GGUF = PROMOTED_FILE.parent / "promoted.gguf"
PROMOTED_HF = PROMOTED_FILE.parent / "promoted-hf"


def evaluation_summary(report: dict[str, Any]) -> dict[str, Any]:
    """What the manifest keeps of a held-out report: `sixg:eval`'s summary, or a negotiator rollout's
    (`negotiator:rollout`: consensus and error by optimizer mode)."""
    if "summary" in report:
        return {"tasks_file": report.get("tasks_file"), **report["summary"]}
    if "byMode" in report:
        return {"scenarios": report.get("scenarios"), "command": report.get("command"), "byMode": report["byMode"]}
    raise ValueError("the evaluation report is neither a sixg:eval report nor a negotiator:rollout summary")


def pack(checkpoint_dir: Path, evaluation: Path, out: Path, command: str) -> dict[str, Any]:
    """Writes the shipped artefact (module docstring) into `out`, replacing what was there."""
    import torch
    from safetensors.torch import load_file, save_file

    meta = json.loads((checkpoint_dir / "checkpoint.json").read_text())
    report = json.loads(evaluation.read_text())
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copy2(checkpoint_dir / "adapter_config.json", out / "adapter_config.json")
    tensors = load_file(checkpoint_dir / "adapter_model.safetensors")
    half = {k: v.to(dtype=torch.float16).contiguous() for k, v in tensors.items()}  # halves the committed size
    save_file(half, out / ADAPTER_FILES[1])
    files = {name: sha256_of(out / name) for name in ADAPTER_FILES}
    manifest = {
        "packed": datetime.now(UTC).isoformat(timespec="seconds"),
        "from_checkpoint": str(checkpoint_dir),
        "phase": meta["phase"],
        "step": meta["step"],
        "lora": meta["lora"],
        "prompt": meta.get("prompt", "plain"),
        "base_gguf": meta["lineage"]["base"]["gguf"],
        "base_weights_sha256": meta["lineage"]["base"]["weights_sha256"],
        "dataset": meta["lineage"]["dataset"],
        "evaluation": {"report": str(evaluation), **evaluation_summary(report)},
        "reproduce": command,
        "files": files,
    }
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def manifest_sha256(shipped: Path) -> str:
    return sha256_of(shipped / MANIFEST_FILE)


def verify(shipped: Path) -> dict[str, Any]:
    """The manifest, after checking every listed file's hash (ValueError naming the first that differs)."""
    manifest = json.loads((shipped / MANIFEST_FILE).read_text())
    for name, expected in manifest["files"].items():
        actual = sha256_of(shipped / name)
        if actual != expected:
            raise ValueError(f"{shipped / name}: sha256 {actual} is not the manifest's {expected}")
    return manifest


def up_to_date(shipped: Path = SHIPPED_DIR) -> bool:
    """True when nothing needs building: no shipped model, a local promotion, or this one already served."""
    if not (shipped / MANIFEST_FILE).is_file():
        return True
    if not PROMOTED_FILE.is_file():
        return False
    record = json.loads(PROMOTED_FILE.read_text())
    if "shipped" not in record:
        return True  # a model the local retraining pipeline promoted
    return record["shipped"] == manifest_sha256(shipped) and PROMOTED_GGUF.is_file()


def is_shipped(directory: Path) -> bool:
    """A folder `pack` wrote (adapters + manifest), as `learner/models/sixg-llm` is."""
    return (Path(directory) / MANIFEST_FILE).is_file() and (Path(directory) / "adapter_config.json").is_file()


def shipped_policy(shipped: Path = SHIPPED_DIR, base_dir: Path = DEFAULT_OUT_DIR) -> Any:  # noqa: ANN401 - a Policy
    """The shipped model as a trainable policy: the base converted from the registry GGUF (checked against the
    manifest) with the shipped adapters loaded, so training continues them and `pack` ships the result."""
    manifest = verify(shipped)
    policy = _adapters_on_base(shipped, manifest, base_dir)
    policy.prompt = manifest.get("prompt", "plain")
    return policy


def _adapters_on_base(shipped: Path, manifest: dict[str, Any], base_dir: Path, *, reconvert: bool = False) -> Any:  # noqa: ANN401 - a Policy
    """The shipped adapters loaded on the base they were trained on: the registry GGUF, checked against the
    manifest, converted to `base_dir` (again when `reconvert`), and the converted weights checked too."""
    # torch and transformers only when there is something to load: `npm start` calls install every time
    from sixg_learner.generation.policy import LoraSettings, load_policy, weights_sha256

    gguf = packaged_gguf()
    if sha256_of(gguf) != manifest["base_gguf"]["sha256"]:
        raise ValueError(f"the installed {gguf.name} is not the GGUF {shipped} was trained on")
    if reconvert or not (base_dir / "config.json").is_file():
        convert_gguf(gguf, base_dir)
    if weights_sha256(base_dir) != manifest["base_weights_sha256"]:
        raise ValueError(f"{base_dir} does not hold the base weights {shipped} was trained on")
    lora = LoraSettings(**{**manifest["lora"], "targets": tuple(manifest["lora"]["targets"])})
    return load_policy(base_dir, lora, adapter_dir=shipped)


def install(shipped: Path = SHIPPED_DIR, base_dir: Path = DEFAULT_OUT_DIR) -> Path | None:
    """Builds data/models/promoted.gguf from the shipped adapters (module docstring); returns it, or None."""
    if up_to_date(shipped):
        return PROMOTED_GGUF if PROMOTED_GGUF.is_file() else None
    manifest = verify(shipped)
    policy = _adapters_on_base(shipped, manifest, base_dir, reconvert=True)
    merged = policy.model.merge_and_unload()
    staging = PROMOTED_HF.with_name(PROMOTED_HF.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    merged.save_pretrained(staging)
    policy.tokenizer.save_pretrained(staging)
    prompt = manifest.get("prompt", "plain")
    lineage = {
        "base": manifest["base_gguf"],
        "phase": manifest["phase"],
        "step": manifest["step"],
        "prompt": prompt,
        "shipped": True,
    }
    (staging / LINEAGE_FILE).write_text(json.dumps(lineage, indent=2) + "\n")
    if PROMOTED_HF.exists():
        shutil.rmtree(PROMOTED_HF)
    staging.rename(PROMOTED_HF)
    export_gguf(PROMOTED_HF, PROMOTED_GGUF)
    record = {
        "checkpoint": str(shipped),
        "evaluation": manifest["evaluation"],
        "served_from": str(PROMOTED_HF),
        "gguf": str(PROMOTED_GGUF),
        "promoted_at": datetime.now(UTC).isoformat(),
        "previous": None,
        "prompt": prompt,
        "shipped": manifest_sha256(shipped),
    }
    PROMOTED_FILE.write_text(json.dumps(record, indent=2) + "\n")
    return PROMOTED_GGUF


# --------------------------------------------------------------------------------------------------------------------
# The trained negotiator (issue 15): the same artefact, served as the model server's chat model
# --------------------------------------------------------------------------------------------------------------------

NEGOTIATOR_DIR = Path("learner/models/negotiator")
NEGOTIATOR_GGUF = Path("data/models/negotiator.gguf")
NEGOTIATORS: dict[str, tuple[Path, Path]] = {
    "trained": (NEGOTIATOR_DIR, NEGOTIATOR_GGUF),
    "persona": (Path("learner/models/negotiator-persona"), Path("data/models/negotiator-persona.gguf")),
    "weighted": (Path("learner/models/negotiator-weighted"), Path("data/models/negotiator-weighted.gguf")),
    "split": (Path("learner/models/negotiator-split"), Path("data/models/negotiator-split.gguf")),
}
"""The shipped negotiators by `$MAESTRO_NEGOTIATOR` (model-server/serve.py serves them by the same names): the
folder of adapters and the GGUF `install-negotiator --which NAME` builds from it."""


def negotiator_up_to_date(shipped: Path = NEGOTIATOR_DIR, gguf: Path | None = None) -> bool:
    """True when nothing needs building: no shipped negotiator, or this one already exported."""
    gguf = gguf or NEGOTIATOR_GGUF
    record = gguf.with_suffix(".json")  # what install_negotiator wrote beside it
    if not (shipped / MANIFEST_FILE).is_file():
        return True
    if not (record.is_file() and gguf.is_file()):
        return False
    return json.loads(record.read_text()).get("shipped") == manifest_sha256(shipped)


def install_negotiator(
    shipped: Path = NEGOTIATOR_DIR, base_dir: Path = DEFAULT_OUT_DIR, gguf: Path | None = None
) -> Path | None:
    """Builds `gguf` (Q8_0; data/models/negotiator.gguf by default) from a shipped negotiator's adapters;
    returns it, or None."""
    gguf = gguf or NEGOTIATOR_GGUF
    if negotiator_up_to_date(shipped, gguf):
        return gguf if gguf.is_file() else None
    manifest = verify(shipped)
    import tempfile

    policy = _adapters_on_base(shipped, manifest, base_dir)
    merged = policy.model.merge_and_unload()
    with tempfile.TemporaryDirectory(prefix="negotiator-hf-") as tmp:
        hf_dir = Path(tmp)
        merged.save_pretrained(hf_dir)
        policy.tokenizer.save_pretrained(hf_dir)
        lineage = {"base": manifest["base_gguf"], "phase": manifest["phase"], "step": manifest["step"]}
        (hf_dir / LINEAGE_FILE).write_text(json.dumps(lineage, indent=2) + "\n")
        export_gguf(hf_dir, gguf, None, "q8_0", "maestro-negotiator")
    record = {
        "gguf": str(gguf),
        "installed_at": datetime.now(UTC).isoformat(),
        "evaluation": manifest["evaluation"],
        "shipped": manifest_sha256(shipped),
    }
    gguf.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    return gguf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack", help="copy a checkpoint's adapters into the shipped folder")
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--evaluation", type=Path, required=True, help="its held-out evaluation report (sixg:eval)")
    p.add_argument("--out", type=Path, default=SHIPPED_DIR)
    p.add_argument("--reproduce", default="npm run sixg:retrain", help="the command that reproduces the training")
    sub.add_parser("install", help="build data/models/promoted.gguf from the shipped adapters if needed")
    n = sub.add_parser("install-negotiator", help="build data/models/negotiator.gguf from learner/models/negotiator")
    n.add_argument(
        "--which",
        choices=tuple(NEGOTIATORS),
        default="split",
        help="which one (default: split, the served default): learner/models/negotiator[-persona|-weighted|-split] "
        "into data/models/negotiator*.gguf",
    )
    args = parser.parse_args(argv)
    if args.command == "pack":
        print(json.dumps(pack(args.checkpoint, args.evaluation, args.out, args.reproduce), indent=2))
        return 0
    if args.command == "install-negotiator":
        shipped, gguf = NEGOTIATORS[args.which]
        if negotiator_up_to_date(shipped, gguf):
            print(f"[negotiator] the served negotiator ({args.which}) is up to date", file=sys.stderr)
            return 0
        print("[negotiator] building the shipped negotiator (merge, GGUF export: about a minute)", file=sys.stderr)
        print(f"[negotiator] serving {install_negotiator(shipped, gguf=gguf)}", file=sys.stderr)
        return 0
    if up_to_date():
        print("[sixg] the served 6G-LLM is up to date", file=sys.stderr)
        return 0
    print(
        "[sixg] building the shipped 6G-LLM (base conversion, merge, GGUF export: about two minutes)", file=sys.stderr
    )
    path = install()
    print(f"[sixg] serving {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
