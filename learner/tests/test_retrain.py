"""`sixg:retrain`'s plan: by default the shipped run (link-budget distillation, 10 PPO steps, one RS round to the
compact prompt, distillation to the lean prompt, continued on the remaining training tasks, packed), and the
earlier runs with their flags. The stages are recorded, not run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sixg_learner.training import retrain


def _plan(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *flags: str) -> list[list[str]]:
    commands: list[list[str]] = []

    def run(args: list[str]) -> None:
        commands.append(args)
        if args[0] == "sixg_learner.training.train":
            out = Path(args[args.index("--out") + 1])
            out.mkdir(parents=True, exist_ok=True)
            phase = args[1]
            (out / "best.json").write_text(json.dumps({"checkpoint": str(out / f"{phase}-best")}))

    monkeypatch.setattr(retrain, "_run", run)
    assert retrain.main(["--out", str(tmp_path / "run"), *flags]) == 0
    return commands


def _flag(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_by_default_it_reruns_the_shipped_distillation_and_packs_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    commands = _plan(monkeypatch, tmp_path, "--device", "cuda", "--pack")
    phases = [c[1] for c in commands if c[0] == "sixg_learner.training.train"]
    assert phases == ["distill", "ppo", "rs", "distill", "distill"], "RS to compact, then two lean distillations"
    distill = next(c for c in commands if c[:2] == ["sixg_learner.training.train", "distill"])
    assert _flag(distill, "--tasks") == "learner/data/train/tasks-4d5b499080ac.jsonl"
    assert _flag(distill, "--prompt") == "link-budget" and _flag(distill, "--targets") == "rule-repair"
    assert _flag(distill, "--target-margin-db") == "1.0" and _flag(distill, "--epochs") == "6"
    assert _flag(distill, "--microbatch-size") == "16" and _flag(distill, "--device") == "cuda"
    ppo = next(c for c in commands if c[:2] == ["sixg_learner.training.train", "ppo"])
    assert _flag(ppo, "--init").endswith("distill/distill-best"), "PPO starts from the distilled epoch"
    assert _flag(ppo, "--steps") == "10" and _flag(ppo, "--learning-rate") == "0.0001"
    final = next(c for c in commands if c[:2] == ["sixg_learner.training.train", "rs"])
    assert _flag(final, "--base").endswith("ppo/ppo-best") and _flag(final, "--prompt") == "compact"
    assert _flag(final, "--limit") == "800" and _flag(final, "--k") == "4" and _flag(final, "--rounds") == "1"
    lean = [c for c in commands if c[:2] == ["sixg_learner.training.train", "distill"]][1]
    assert _flag(lean, "--base").endswith("rs-final/rs-best") and _flag(lean, "--prompt") == "lean"
    assert _flag(lean, "--targets") == "lean-repair" and _flag(lean, "--target-margin-db") == "1.0"
    assert (
        _flag(lean, "--limit") == "800"
        and _flag(lean, "--epochs") == "2"
        and _flag(lean, "--learning-rate") == "0.0001"
    )
    more = [c for c in commands if c[:2] == ["sixg_learner.training.train", "distill"]][2]
    assert _flag(more, "--base").endswith("lean/distill-best") and "--fresh" in more, "a new run from 3c's best epoch"
    assert _flag(more, "--skip") == "800" and _flag(more, "--limit") == "1800", "the training tasks 3c did not see"
    assert _flag(more, "--prompt") == "lean" and _flag(more, "--targets") == "lean-repair"
    assert _flag(more, "--epochs") == "2" and _flag(more, "--learning-rate") == "0.0001"
    evaluated = [_flag(c, "--model") for c in commands if c[0] == "sixg_learner.evaluation.evaluate"]
    assert "lean-rule" in evaluated and "rule" in evaluated, "beside the rule the issue names and the lean rule"
    compare = next(c for c in commands if c[0] == "sixg_learner.evaluation.compare")
    assert "lean:lean-rule" in compare and "lean-more:lean-rule" in compare, "the models against their prompt's rule"
    pack = commands[-1]
    assert pack[:2] == ["sixg_learner.export.ship", "pack"]
    assert _flag(pack, "--checkpoint").endswith("lean-more/distill-best"), "the longest lean run's model is served"
    assert _flag(pack, "--evaluation").endswith("eval-lean-more.json")


def test_the_session_21_model_is_packed_without_the_continued_distillation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    commands = _plan(monkeypatch, tmp_path, "--lean-more-epochs", "0", "--pack")
    phases = [c[1] for c in commands if c[0] == "sixg_learner.training.train"]
    assert phases == ["distill", "ppo", "rs", "distill"]
    assert _flag(commands[-1], "--checkpoint").endswith("lean/distill-best")


def test_a_resumed_continuation_picks_up_its_own_last_epoch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    epoch = tmp_path / "run" / "lean-more" / "distill-epoch-1"
    epoch.mkdir(parents=True)
    commands = _plan(monkeypatch, tmp_path, "--pack")
    more = [c for c in commands if c[:2] == ["sixg_learner.training.train", "distill"]][2]
    assert _flag(more, "--base") == str(epoch) and "--fresh" not in more, "resumed, not restarted"


def test_the_session_17_model_is_packed_without_the_lean_distillation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    commands = _plan(monkeypatch, tmp_path, "--lean-epochs", "0", "--pack")
    assert [c[1] for c in commands if c[0] == "sixg_learner.training.train"] == ["distill", "ppo", "rs"]
    assert _flag(commands[-1], "--checkpoint").endswith("rs-final/rs-best"), "the served prompt must fit 400 tokens"
    assert _flag(commands[-1], "--evaluation").endswith("eval-final.json")


def test_the_session_13_model_is_packed_without_the_final_round(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    commands = _plan(monkeypatch, tmp_path, "--final-prompt", "", "--lean-epochs", "0", "--pack")
    assert [c[1] for c in commands if c[0] == "sixg_learner.training.train"] == ["distill", "ppo"]
    assert _flag(commands[-1], "--checkpoint").endswith("ppo/ppo-best")
    assert _flag(commands[-1], "--evaluation").endswith("eval-rldtf.json")


def test_the_earlier_run_is_its_flags_away(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    commands = _plan(
        monkeypatch, tmp_path,
        "--train-tasks", "learner/data/train/tasks-1a94344d2007.jsonl", "--prompt", "plain",
        "--distill-epochs", "0", "--rs-rounds", "2", "--ppo-steps", "40", "--ppo-learning-rate", "1e-4",
        "--final-prompt", "", "--lean-epochs", "0",
    )  # fmt: skip
    phases = [c[1] for c in commands if c[0] == "sixg_learner.training.train"]
    assert phases == ["rs", "ppo"]
    rs, ppo = (c for c in commands if c[0] == "sixg_learner.training.train")
    assert _flag(rs, "--prompt") == "plain" and _flag(rs, "--device") == "cpu"
    assert _flag(ppo, "--init").endswith("rs/rs-best") and _flag(ppo, "--steps") == "40"
    assert "--prompt" not in ppo, "PPO keeps the prompt of the checkpoint it starts from"
