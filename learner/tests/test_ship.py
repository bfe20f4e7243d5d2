"""The shipped 6G-LLM artefact: what `pack` writes, that its hashes are checked, when `install` has work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from sixg_learner.export import ship


def _checkpoint(tmp_path: Path) -> tuple[Path, Path]:
    directory = tmp_path / "rs-round-2"
    directory.mkdir()
    (directory / "adapter_config.json").write_text('{"r": 4}')
    save_file({"layer.lora_A.weight": torch.randn(4, 8), "layer.lora_B.weight": torch.randn(8, 4)},
              directory / "adapter_model.safetensors")  # fmt: skip
    meta = {
        "phase": "rs",
        "step": 2,
        "lora": {"r": 4, "alpha": 8, "targets": ["q_proj"]},
        "lineage": {
            "base": {"gguf": {"file": "base.gguf", "sha256": "aa"}, "weights_sha256": "bb"},
            "dataset": {"file": "train.jsonl", "sha256": "cc"},
        },
    }
    (directory / "checkpoint.json").write_text(json.dumps(meta))
    report = tmp_path / "eval.json"
    report.write_text(json.dumps({"tasks_file": "eval.jsonl", "summary": {"task_completion_rate": 0.5}}))
    return directory, report


def test_pack_writes_half_precision_adapters_and_a_manifest_with_hashes(tmp_path: Path) -> None:
    checkpoint, report = _checkpoint(tmp_path)
    out = tmp_path / "shipped"
    manifest = ship.pack(checkpoint, report, out, "npm run sixg:retrain")
    assert sorted(p.name for p in out.iterdir()) == [
        "adapter_config.json",
        "adapter_model.safetensors",
        "manifest.json",
    ]
    tensors = load_file(out / "adapter_model.safetensors")
    assert all(t.dtype == torch.float16 for t in tensors.values())
    original = load_file(checkpoint / "adapter_model.safetensors")
    torch.testing.assert_close(
        tensors["layer.lora_A.weight"].float(), original["layer.lora_A.weight"], atol=1e-3, rtol=1e-3
    )
    assert manifest["base_gguf"] == {"file": "base.gguf", "sha256": "aa"} and manifest["phase"] == "rs"
    assert manifest["evaluation"]["task_completion_rate"] == 0.5 and manifest["reproduce"] == "npm run sixg:retrain"
    assert ship.verify(out)["files"] == manifest["files"]


def test_a_changed_file_fails_verification(tmp_path: Path) -> None:
    checkpoint, report = _checkpoint(tmp_path)
    out = tmp_path / "shipped"
    ship.pack(checkpoint, report, out, "x")
    (out / "adapter_config.json").write_text('{"r": 8}')
    with pytest.raises(ValueError, match="adapter_config.json: sha256"):
        ship.verify(out)


def test_install_has_work_only_for_a_new_shipped_model_and_never_replaces_a_local_promotion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpoint, report = _checkpoint(tmp_path)
    out = tmp_path / "shipped"
    monkeypatch.setattr(ship, "PROMOTED_FILE", tmp_path / "promoted.json")
    monkeypatch.setattr(ship, "PROMOTED_GGUF", tmp_path / "promoted.gguf")
    assert ship.up_to_date(out)  # nothing shipped: nothing to do
    ship.pack(checkpoint, report, out, "x")
    assert not ship.up_to_date(out)  # shipped, never installed
    (tmp_path / "promoted.gguf").write_bytes(b"gguf")
    (tmp_path / "promoted.json").write_text(json.dumps({"shipped": ship.manifest_sha256(out)}))
    assert ship.up_to_date(out)
    (tmp_path / "promoted.json").write_text(json.dumps({"shipped": "an older artefact"}))
    assert not ship.up_to_date(out)
    (tmp_path / "promoted.json").write_text(json.dumps({"checkpoint": "data/sixg/runs/x"}))
    assert ship.up_to_date(out)  # the local retraining pipeline's model wins


def test_the_negotiator_ships_with_its_rollout_summary_and_installs_when_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpoint, _ = _checkpoint(tmp_path)
    report = tmp_path / "negotiator-heldout.json"
    by_mode = {"off": {"episodes": 21, "consensus": 21}, "soft": {"episodes": 9, "consensus": 9}}
    report.write_text(json.dumps({"command": "npm run negotiator:rollout", "scenarios": "30", "byMode": by_mode}))
    out = tmp_path / "negotiator"
    manifest = ship.pack(checkpoint, report, out, "npm run negotiator:distill")
    assert manifest["evaluation"]["byMode"] == by_mode and manifest["reproduce"] == "npm run negotiator:distill"
    monkeypatch.setattr(ship, "NEGOTIATOR_GGUF", tmp_path / "negotiator.gguf")
    assert ship.negotiator_up_to_date(tmp_path / "nothing-shipped")
    assert not ship.negotiator_up_to_date(out)
    (tmp_path / "negotiator.gguf").write_bytes(b"gguf")
    (tmp_path / "negotiator.json").write_text(json.dumps({"shipped": ship.manifest_sha256(out)}))
    assert ship.negotiator_up_to_date(out)
    (tmp_path / "negotiator.json").write_text(json.dumps({"shipped": "an older artefact"}))
    assert not ship.negotiator_up_to_date(out)
    # the persona negotiator is checked against its own GGUF and record, not the default one's
    persona = tmp_path / "negotiator-persona.gguf"
    assert not ship.negotiator_up_to_date(out, persona)
    persona.write_bytes(b"gguf")
    persona.with_suffix(".json").write_text(json.dumps({"shipped": ship.manifest_sha256(out)}))
    assert ship.negotiator_up_to_date(out, persona)


def test_an_evaluation_report_of_neither_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="neither"):
        ship.evaluation_summary({"rows": []})


@pytest.mark.parametrize("shipped", [ship.SHIPPED_DIR, ship.NEGOTIATOR_DIR])
def test_the_committed_artefacts_match_their_manifests(shipped: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    manifest = ship.verify(root / shipped)
    assert manifest["base_gguf"]["file"].endswith(".gguf") and manifest["reproduce"].startswith("npm run")
    assert manifest["evaluation"]["report"].startswith("results/")
    assert (root / manifest["evaluation"]["report"]).is_file(), "the held-out report the manifest cites is committed"
