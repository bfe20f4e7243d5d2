"""The negotiator's turn breakdown (evaluation/turn_breakdown.py): kinds of turn and their figures, scored by the
TypeScript reward server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sixg_learner.evaluation.turn_breakdown import breakdown, main, turn_kind
from sixg_learner.training.negotiation import NegotiationTurn

FIXTURE = Path(__file__).parent / "fixtures" / "negotiation-turn.json"


def fixture_turn(**changes: object) -> NegotiationTurn:
    return NegotiationTurn.parse({**json.loads(FIXTURE.read_text()), **changes})


def test_a_turn_is_kinded_as_negotiator_turns_wrote_it() -> None:
    assert turn_kind(fixture_turn()) == "bo off r2 a little yielding"
    with pytest.raises(ValueError, match="write the tasks again"):
        turn_kind(fixture_turn(kind=None))


def test_breakdown_groups_rewards_and_counts_what_is_satisfied() -> None:
    turns = [fixture_turn(), fixture_turn(id="b"), fixture_turn(id="c", kind="bo off r2 a little firm")]
    rewards = [
        {"reward": 1.0, "satisfied": True, "valid": True, "errorToOptimum": 2.0},
        {"reward": -1.5, "satisfied": False, "valid": False, "errorToOptimum": None},
        {"reward": 0.5, "satisfied": False, "valid": True, "errorToOptimum": 10.0},
    ]
    result = breakdown(turns, rewards)
    assert result["all"] == {
        "turns": 3, "meanReward": 0.0, "satisfied": 1, "valid": 2, "meanErrorToOptimumMbps": 6.0,
    }  # fmt: skip
    assert result["byKind"]["bo off r2 a little yielding"]["meanReward"] == -0.25
    assert result["byKind"]["bo off r2 a little firm"]["meanErrorToOptimumMbps"] == 10.0


def test_breakdown_by_personality_splits_a_kind() -> None:
    turns = [fixture_turn(personality="vulnerable"), fixture_turn(id="b", personality="agreeable")]
    rewards = [
        {"reward": 1.0, "satisfied": True, "valid": True, "errorToOptimum": 2.0},
        {"reward": 0.0, "satisfied": False, "valid": True, "errorToOptimum": 4.0},
    ]
    assert list(breakdown(turns, rewards)["byKind"]) == ["bo off r2 a little yielding"]
    split = breakdown(turns, rewards, by_personality=True)["byKind"]
    assert split["bo off r2 a little yielding vulnerable"]["satisfied"] == 1
    assert split["bo off r2 a little yielding agreeable"]["satisfied"] == 0


def test_the_recorded_answers_are_scored_by_the_reward_server(tmp_path: Path) -> None:
    turns_file = tmp_path / "turns.jsonl"
    turns_file.write_text(json.dumps(json.loads(FIXTURE.read_text())) + "\n")
    out, plot = tmp_path / "breakdown.json", tmp_path / "breakdown.png"
    argv = ["--turns", str(turns_file), "--model", "student=recorded", "--out", str(out), "--plot", str(plot)]
    assert main(argv) == 0
    report = json.loads(out.read_text())
    assert plot.stat().st_size > 0
    row = report["models"]["student"]["byKind"]["bo off r2 a little yielding"]
    assert row["turns"] == 1 and row["valid"] == 1 and row["meanReward"] > 0
