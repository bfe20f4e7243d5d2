"""The report's distillation figure: drawn from a run's metrics, listed in the summary, refused without epochs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sixg_learner.evaluation.report import dev_lines, main, plot_distill


def _epoch(step: int, **extra: float) -> dict[str, object]:
    return {"phase": "distill", "step": step, "losses/sft_epoch": 0.3 / step, "losses/sft_last": 0.2 / step, **extra}


def test_a_distill_run_gets_its_own_figure(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    lines = [_epoch(1, **{"dev/completion": 0.7, "dev/avg_score_completed": 0.5}), _epoch(2)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(m) + "\n" for m in lines))
    assert main(["--run", f"distill={run}", "--dev-line", "rule=0.717", "--out", str(tmp_path / "r")]) == 0
    figure = tmp_path / "r-distill.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(figure) in json.loads((tmp_path / "r.json").read_text())["figures"]
    assert not (tmp_path / "r-curves.png").exists(), "no empty RS/PPO panels for a distillation alone"


def test_metrics_without_distillation_epochs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no distillation epochs"):
        plot_distill([{"phase": "ppo", "step": 1}], tmp_path / "x.png")


def test_a_dev_line_is_a_completion_rate() -> None:
    assert dev_lines(["rule=0.717"]) == {"rule": 0.717}
    for bad in ("rule=71.7", "rule=high", "rule"):
        with pytest.raises(SystemExit):
            dev_lines([bad])


def test_a_ppo_run_alone_gets_its_two_panels(tmp_path: Path) -> None:
    """The negotiator's PPO run has no domain step or RS round: its figure is its losses and rewards, 1 × 2."""
    from PIL import Image

    run = tmp_path / "run"
    run.mkdir()
    metric = {"losses/policy": 0.0, "losses/value": 0.1, "losses/kl_ref": 0.01, "charts/mean_reward": 1.1}
    lines = [
        {"phase": "ppo", "step": s, **metric, "charts/success_rate": 0.5, "charts/valid_rate": 1.0} for s in (1, 2)
    ]
    (run / "metrics.jsonl").write_text("".join(json.dumps(m) + "\n" for m in lines))
    assert main(["--run", f"ppo={run}", "--out", str(tmp_path / "r")]) == 0
    width, height = Image.open(tmp_path / "r-curves.png").size
    assert width > 2 * height  # one row of two panels (the 6G-LLM's report is 2 × 2)
