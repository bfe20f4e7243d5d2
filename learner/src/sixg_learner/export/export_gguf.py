"""A trained 6G-LLM back to GGUF, so llama.cpp (the model server) can serve it.

Training happens on the float32 Hugging Face checkpoint that `convert.py` builds from the served GGUF;
`checkpoints.merge_and_export` turns a trained checkpoint into such a folder again. The model server is
llama.cpp, which reads GGUF only, so `export_gguf` writes the folder's weights as a GGUF file that is the
source GGUF in everything but the weights:

- **metadata**: every key/value of the source GGUF is copied (architecture hyper-parameters, the whole
  tokenizer with its "smollm" pre-tokenizer, the chat template) except `general.name` and
  `general.file_type`, which describe the new file, plus `maestro.lineage` (the HF folder's
  `maestro_lineage.json`, so a served file says which checkpoint it is). Copying instead of rebuilding
  the tokenizer from the HF folder matters: the policy was trained on llama.cpp's token ids (convert.py's
  digit fix), and the source GGUF is what defines them.
- **tensors**: llama.cpp's names (`blk.N.attn_q.weight`, …) in the source's order, and q/k permuted back.
  llama.cpp's converter permutes the rows of `q_proj`/`k_proj` per head (it pairs rotary halves as
  interleaved pairs); transformers' GGUF loader undoes that when convert.py reads the file, so here it is
  done again. Getting it wrong still gives a file that loads and runs, only with garbage attention: the
  tests compare greedy outputs with transformers to catch exactly that.
- **types**: norms stay F32 (llama.cpp wants them so); 2-D weights F16 by default (lossless enough for a
  fine-tuned delta, 270 MB), or Q8_0 (143 MB, faster on CPU) or F32. Not the source's Q4_1: re-quantizing
  to 4 bits would blur the small changes training made.

The file is written beside the target and renamed into place, so a server that (re)loads the target path
never sees a half-written file, and an interrupted export leaves the previous file intact.

    python -m sixg_learner.export.export_gguf --hf data/models/promoted-hf --out data/models/promoted.gguf
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sixg_learner.export.convert import LINEAGE_FILE, packaged_gguf, read_lineage, sha256_of

if TYPE_CHECKING:
    import numpy as np
    from gguf import GGUFReader, GGUFWriter

OutType = Literal["f16", "q8_0", "f32"]
MAESTRO_LINEAGE_KEY = "maestro.lineage"
DEFAULT_NAME = "maestro 6G-LLM"

# Hugging Face (LlamaForCausalLM) names → llama.cpp names; `{}` is the block index.
_GLOBAL_NAMES = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
_BLOCK_NAMES = {
    "input_layernorm.weight": "attn_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}
# config.json field → the GGUF key (`llama.` prefix) that must agree with it, or the copied metadata
# would describe another network than the weights.
_SHAPE_KEYS = {
    "num_hidden_layers": "block_count",
    "hidden_size": "embedding_length",
    "intermediate_size": "feed_forward_length",
    "num_attention_heads": "attention.head_count",
    "num_key_value_heads": "attention.head_count_kv",
}


def llama_cpp_name(hf_name: str) -> str:
    """The llama.cpp tensor name of a Hugging Face Llama parameter (KeyError for anything else)."""
    if hf_name in _GLOBAL_NAMES:
        return _GLOBAL_NAMES[hf_name]
    prefix = "model.layers."
    if hf_name.startswith(prefix):
        block, _, rest = hf_name[len(prefix) :].partition(".")
        if block.isdigit() and rest in _BLOCK_NAMES:
            return f"blk.{int(block)}.{_BLOCK_NAMES[rest]}"
    raise KeyError(f"no llama.cpp name for the tensor {hf_name!r}")


def permute_for_llama_cpp(weights: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp's q/k row order (convert_hf_to_gguf.py `LlamaModel.permute`): the inverse of transformers'
    `_reverse_permute_weights`. Within each head, HF keeps the two rotary halves as blocks
    ([x0..x31, y0..y31]); llama.cpp's rope wants them interleaved ([x0, y0, x1, y1, …]).

    `n_head` is the number of heads of this projection (attention heads for q, KV heads for k).
    """
    rows = weights.shape[0]
    return weights.reshape(n_head, 2, rows // n_head // 2, *weights.shape[1:]).swapaxes(1, 2).reshape(weights.shape)


def _field_value(reader: GGUFReader, key: str) -> object:
    field = reader.get_field(key)
    return field.contents() if field is not None else None


def _read_hf_tensors(hf_dir: Path) -> dict[str, np.ndarray]:
    """All tensors of the folder's safetensors files as float32 numpy arrays (bf16/f16 widened)."""
    import torch
    from safetensors import safe_open

    files = sorted(hf_dir.glob("*.safetensors"))
    if not files:
        raise FileNotFoundError(f"no .safetensors file in {hf_dir}")
    tensors: dict[str, np.ndarray] = {}
    for file in files:
        with safe_open(str(file), framework="pt") as f:
            for name in f.keys():  # noqa: SIM118 - safe_open is not a mapping
                tensors[name] = f.get_tensor(name).to(torch.float32).numpy()
    return tensors


def _check_shapes(config: dict[str, Any], reader: GGUFReader) -> None:
    if config.get("model_type") != "llama" or _field_value(reader, "general.architecture") != "llama":
        raise ValueError("only Llama-architecture models (SmolLM2) are exported")
    for hf_key, gguf_key in _SHAPE_KEYS.items():
        theirs = _field_value(reader, f"llama.{gguf_key}")
        if config.get(hf_key) != theirs:
            raise ValueError(
                f"config.json {hf_key}={config.get(hf_key)} but the source GGUF has llama.{gguf_key}={theirs}"
            )
    tokens = _field_value(reader, "tokenizer.ggml.tokens")
    n_tokens = len(tokens) if isinstance(tokens, list) else None
    if config.get("vocab_size") != n_tokens:
        raise ValueError(f"config.json vocab_size={config.get('vocab_size')} but the source GGUF has {n_tokens} tokens")


def _gguf_tensors(hf_dir: Path, config: dict[str, Any], source_order: list[str]) -> list[tuple[str, np.ndarray]]:
    """(llama.cpp name, float32 array) in the source GGUF's order, q/k permuted; a tied lm_head is dropped."""
    import numpy as np

    hf = _read_hf_tensors(hf_dir)
    tied = bool(config.get("tie_word_embeddings", False))
    if tied and "lm_head.weight" in hf:
        if not np.array_equal(hf["lm_head.weight"], hf["model.embed_tokens.weight"]):
            raise ValueError("tie_word_embeddings is set but lm_head.weight differs from the embeddings")
        del hf["lm_head.weight"]
    converted: dict[str, np.ndarray] = {}
    for hf_name, array in hf.items():
        if hf_name.endswith("rotary_emb.inv_freq"):
            continue  # a buffer older transformers saved; llama.cpp computes it from llama.rope.freq_base
        name = llama_cpp_name(hf_name)
        if name.endswith(".attn_q.weight"):
            array = permute_for_llama_cpp(array, config["num_attention_heads"])
        elif name.endswith(".attn_k.weight"):
            array = permute_for_llama_cpp(array, config["num_key_value_heads"])
        converted[name] = array
    missing = [name for name in source_order if name not in converted]
    if missing:
        raise ValueError(f"{hf_dir} lacks tensors the source GGUF has: {missing[:5]}")
    extra = sorted(set(converted) - set(source_order))
    return [(name, converted[name]) for name in source_order] + [(name, converted[name]) for name in extra]


def _encode(array: np.ndarray, out_type: OutType) -> tuple[np.ndarray, Any]:
    """The array as stored in the file and its GGML type: norms (1-D) always F32, matrices `out_type`."""
    import numpy as np
    from gguf import GGMLQuantizationType, quants

    if array.ndim == 1 or out_type == "f32":
        return np.ascontiguousarray(array, dtype=np.float32), GGMLQuantizationType.F32
    if out_type == "f16":
        return np.ascontiguousarray(array, dtype=np.float16), GGMLQuantizationType.F16
    return quants.quantize(np.ascontiguousarray(array, dtype=np.float32), GGMLQuantizationType.Q8_0), (
        GGMLQuantizationType.Q8_0
    )


def _copy_metadata(reader: GGUFReader, writer: GGUFWriter, overrides: dict[str, tuple[Any, Any]]) -> None:
    """Every KV of `reader` into `writer` (as gguf's gguf_new_metadata.py does), `overrides` replacing or adding."""
    from gguf import GGUFValueType, Keys

    pending = dict(overrides)
    for field in reader.fields.values():
        # GGUF.* are the header's virtual fields; the writer adds general.architecture itself.
        if field.name.startswith("GGUF.") or field.name == Keys.General.ARCHITECTURE:
            continue
        if field.name in pending:
            value, vtype = pending.pop(field.name)
            writer.add_key_value(field.name, value, vtype)
            continue
        vtype = field.types[0]
        sub_type = field.types[-1] if vtype == GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), vtype, sub_type=sub_type)
    for key, (value, vtype) in pending.items():
        writer.add_key_value(key, value, vtype)


def export_gguf(
    hf_dir: Path,
    out_path: Path,
    source_gguf: Path | None = None,
    out_type: OutType = "f16",
    name: str | None = None,
) -> Path:
    """Writes the GGUF of the Hugging Face folder `hf_dir` to `out_path` (atomically) and returns `out_path`.

    `source_gguf` (default: the packaged one) gives the metadata and tensor order; when `hf_dir` carries a
    `maestro_lineage.json`, its base must be that very file (same SHA-256), otherwise the tokenizer and
    hyper-parameters copied from it could belong to another model (ValueError).
    """
    from gguf import GGUFReader, GGUFValueType, GGUFWriter, Keys, LlamaFileType

    hf_dir, out_path = Path(hf_dir), Path(out_path)
    source = Path(source_gguf) if source_gguf is not None else packaged_gguf()
    lineage = read_lineage(hf_dir)
    base = (lineage or {}).get("base") or {}
    if base.get("sha256") and base["sha256"] != sha256_of(source):
        raise ValueError(f"{hf_dir} descends from {base.get('file')} ({base['sha256'][:12]}…), not from {source}")
    config = json.loads((hf_dir / "config.json").read_text())
    reader = GGUFReader(source)
    _check_shapes(config, reader)
    tensors = _gguf_tensors(hf_dir, config, [t.name for t in reader.tensors])

    file_type = {"f16": LlamaFileType.MOSTLY_F16, "q8_0": LlamaFileType.MOSTLY_Q8_0, "f32": LlamaFileType.ALL_F32}
    overrides: dict[str, tuple[Any, Any]] = {
        Keys.General.NAME: (name or DEFAULT_NAME, GGUFValueType.STRING),
        Keys.General.FILE_TYPE: (int(file_type[out_type]), GGUFValueType.UINT32),
    }
    if lineage is not None:
        overrides[MAESTRO_LINEAGE_KEY] = (json.dumps(lineage, separators=(",", ":")), GGUFValueType.STRING)

    out_path.parent.mkdir(parents=True, exist_ok=True)
    staging = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    try:
        writer = GGUFWriter(staging, arch="llama")
        _copy_metadata(reader, writer, overrides)
        for tensor_name, array in tensors:
            data, ggml_type = _encode(array, out_type)
            writer.add_tensor(tensor_name, data, raw_dtype=ggml_type)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        staging.chmod(0o644)
        os.replace(staging, out_path)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    return out_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Export a merged Hugging Face 6G-LLM folder to GGUF for llama.cpp.")
    parser.add_argument("--hf", type=Path, required=True, help="Hugging Face model folder (merge_and_export's)")
    parser.add_argument("--out", type=Path, required=True, help="GGUF file to write")
    parser.add_argument("--source-gguf", type=Path, default=None, help="metadata source (default: the packaged GGUF)")
    parser.add_argument("--type", choices=("f16", "q8_0", "f32"), default="f16", help="2-D weights (default f16)")
    parser.add_argument("--name", default=None, help=f"general.name (default {DEFAULT_NAME!r})")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    out = export_gguf(args.hf, args.out, args.source_gguf, args.type, args.name)
    lineage = read_lineage(args.hf) or {}
    print(
        json.dumps(
            {
                "out": str(out),
                "bytes": out.stat().st_size,
                "type": args.type,
                "seconds": round(time.perf_counter() - started, 2),
                LINEAGE_FILE: lineage or None,
            }
        ),
        file=sys.stdout,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
