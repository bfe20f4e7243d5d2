"""A checkpoint of a chat model trained with the learner (the negotiator of issue 15) as a GGUF to serve.

The model server serves any GGUF as its chat model (`MAESTRO_CHAT_GGUF`, `MAESTRO_CHAT_ALIAS`), so the
negotiator needs no server of its own: merge the checkpoint's adapters into the base
(`checkpoints.merge_and_export`), then write llama.cpp's file (`export_gguf`, Q8_0 by default: about
143 MB, and decoding on CPU as fast as the packaged Q4_1 within a few percent).

    python -m sixg_learner.training.export_chat --checkpoint data/negotiator/runs/rs-1/sft-epoch-2 \\
        --out data/models/negotiator.gguf
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from sixg_learner.export.export_gguf import OutType, export_gguf
from sixg_learner.training.checkpoints import merge_and_export


def export_chat_model(checkpoint: Path, out: Path, out_type: OutType = "q8_0", name: str | None = None) -> Path:
    """The checkpoint's merged weights as a GGUF at `out` (written beside it and renamed into place)."""
    with tempfile.TemporaryDirectory(prefix="chat-gguf-") as tmp:
        hf_dir = merge_and_export(checkpoint, Path(tmp) / "hf")
        return export_gguf(hf_dir, out, None, out_type, name or out.stem)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, required=True, help="a learner checkpoint (e.g. sft-epoch-N)")
    parser.add_argument("--out", type=Path, required=True, help="GGUF file to write")
    parser.add_argument("--type", choices=("q8_0", "f16", "f32"), default="q8_0")
    parser.add_argument("--name", default=None, help="general.name (default: the file's stem)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    out = export_chat_model(args.checkpoint, args.out, args.type, args.name)
    seconds = round(time.perf_counter() - started, 1)
    print(json.dumps({"out": str(out), "bytes": out.stat().st_size, "seconds": seconds}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
