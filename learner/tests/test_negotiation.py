"""The negotiator's PPO adapters (training/negotiation.py): turn tasks, the TypeScript reward server over its pipe,
and one PPO iteration of the 6G-LLM's code path on turns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from sixg_learner.generation.policy import LoraSettings, load_policy
from sixg_learner.training.negotiation import (
    NEGOTIATION_DEFAULTS,
    TurnScorer,
    build_parser,
    load_turns,
    project_root,
)
from sixg_learner.training.rl import ppo_iteration
from sixg_learner.training.updates import make_optimizer
from test_train import tiny_dir, tiny_ppo_args  # noqa: F401 - the module fixture is used below

FIXTURE = Path(__file__).parent / "fixtures" / "negotiation-turn.json"
"""A real round-2 turn (npm run negotiator:turns on a dev-slice game): a normal BO, "a little", MAESTRO at 80.5."""


@pytest.fixture()
def turns_file(tmp_path: Path) -> Path:
    path = tmp_path / "turns.jsonl"
    path.write_text(json.dumps(json.loads(FIXTURE.read_text())) + "\n")
    return path


def answer(value: float, reasoning: str | None = None) -> str:
    return json.dumps({"reasoning": reasoning or f"I move to {value}.", "value": value})


def test_turns_load_and_a_malformed_line_names_its_place(tmp_path: Path, turns_file: Path) -> None:
    [turn] = load_turns(turns_file)
    assert turn.round == 2 and turn.messages[0]["role"] == "system"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(turns_file.read_text() + '{"id": "x"}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2: .*missing or malformed"):
        load_turns(bad)


def test_the_typescript_server_scores_answers_as_the_workflow_would_end_the_game(turns_file: Path) -> None:
    [turn] = load_turns(turns_file)
    game = turn.record["game"]
    with TurnScorer([turns_file]) as scorer:
        taken, half, broken, outside = scorer.rewards([turn] * 4, [answer(80.5), answer(99.8), "{", answer(500.0)])
        assert scorer.calls == 4
        # the recorded answer (take the proposal) scores what the game ended with
        assert taken["valid"] and taken["rounds"] == 3
        assert taken["errorToOptimum"] == pytest.approx(abs(taken["outcome"] - game["optimum"]))
        # moving half way instead ends elsewhere and scores by its own distance
        assert half["outcome"] != pytest.approx(taken["outcome"])
        assert (half["reward"] > taken["reward"]) == (half["errorToOptimum"] < taken["errorToOptimum"])
        # what the workflow rejects (no JSON, outside the topic's range) is invalid, at the least reward
        assert not broken["valid"] and not outside["valid"] and broken["reward"] == outside["reward"] == -1.5
        assert scorer.text_reward(turn, answer(80.5)) == pytest.approx(taken["reward"])
        with pytest.raises(ValueError, match="no task"):
            scorer.rewards([turn.__class__.parse({**turn.record, "id": "unknown"})], [answer(1)])


def test_one_ppo_iteration_runs_on_turns_without_a_radio(tiny_dir: Path, turns_file: Path) -> None:  # noqa: F811
    """The PPO iteration reads a task only through the scorer when unconstrained: turns need no twin fields."""
    policy = load_policy(tiny_dir, LoraSettings(r=4, alpha=8))
    turns = load_turns(turns_file) * 2
    args = tiny_ppo_args(critic_warmup_steps=0)
    optimizer = make_optimizer(policy, args.learning_rate)
    head = policy.value_head.linear.weight.detach().clone()
    with TurnScorer([turns_file]) as scorer:
        metrics = ppo_iteration(policy, optimizer, turns, ["you are bo. ", "you are bo. "], scorer, args, step=1)  # type: ignore[arg-type]
    # a character vocabulary writes no valid JSON: every answer is invalid, and the critic learns that value
    assert metrics["charts/valid_rate"] == 0 and metrics["charts/mean_reward"] == -1.5
    assert not torch.equal(policy.value_head.linear.weight, head)


def test_the_cli_defaults_are_the_negotiators() -> None:
    cli = build_parser().parse_args(["--turns", "t", "--init", "i", "--out", "o"])
    assert cli.constrained == 0 and cli.tasks_per_step == NEGOTIATION_DEFAULTS["tasks_per_step"]
    assert cli.k == NEGOTIATION_DEFAULTS["k"] and cli.max_new_tokens == NEGOTIATION_DEFAULTS["max_new_tokens"]


def test_the_adapters_read_and_write_what_the_typescript_contract_declares() -> None:
    """negotiator/turn-env.schema.json (written from the zod schemas, checked on the TypeScript side)."""
    schema = json.loads((project_root() / "negotiator" / "turn-env.schema.json").read_text())
    task, request, reward = schema["turnTask"], schema["rewardRequest"], schema["reward"]
    fixture = json.loads(FIXTURE.read_text())
    # the fixture is a task: every required field, nothing else (the schema is closed)
    assert set(task["required"]) <= set(fixture) <= set(task["properties"])
    assert task["additionalProperties"] is False
    # what NegotiationTurn reads is required of every task
    assert {"id", "messages", "agent", "round", "personality"} <= set(task["required"])
    assert task["properties"]["round"]["type"] == "integer"
    # TurnScorer writes exactly a request, and reads only what every reward line has
    assert set(request["required"]) == set(request["properties"]) == {"id", "text"}
    assert {"reward", "satisfied", "valid", "errorToOptimum"} <= set(reward["required"])
    assert reward["properties"]["valid"]["type"] == "boolean"
