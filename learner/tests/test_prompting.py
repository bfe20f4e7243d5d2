"""The one-shot prompt and the step from an answer to an executable orchestration."""

from __future__ import annotations

import json

import pytest
from sixg_learner.prompting import (
    EXAMPLE_LINK,
    EXAMPLE_TASK,
    ParseFailure,
    answer_schema,
    answer_text,
    build_messages,
    parse_answer,
    parse_orchestration,
    system_prompt,
)
from sixg_learner.reward import achieved_qos, qos_satisfied
from sixg_learner.tasks import DEFAULT_SCENARIO, Qos, Task
from twin_bridge.orchestration import Orchestration, ScenarioConfig, schema_document
from twin_bridge.systemlevel import evaluate_system_level

TASK = Task(
    id="t1",
    description="A teleoperated car streams its front cameras to a remote driver.",
    qos=Qos(min_throughput_mbps=25.0, max_delay_ms=1.8, max_ber=1e-4),
    scenario=ScenarioConfig(channel_model="tdl-c", snr_db=12.5, ue_speed_mps=20, delay_spread_ns=300),
)
LINK = {"mcs_index": 15, "num_prbs": 51, "bandwidth_mhz": 20, "subcarrier_spacing_khz": 30, "num_rx_antennas": 2}


def test_messages_are_one_shot_with_the_task_last() -> None:
    messages = build_messages(TASK)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[0]["content"] == system_prompt()
    assert json.loads(messages[2]["content"]) == EXAMPLE_LINK.model_dump(mode="json")
    last = messages[3]["content"]
    assert TASK.description in last
    for fragment in ("at least 25 Mbps", "at most 1.8 ms", "at most 0.0001", "tdl-c", "SNR 12.5 dB", "20 m/s"):
        assert fragment in last
    # the same prefix for every task: a prompt cache only pays for the last message
    assert build_messages(EXAMPLE_TASK)[:3] == messages[:3]


def test_the_system_prompt_lists_every_link_field_with_its_range() -> None:
    prompt = system_prompt()
    link = schema_document()["properties"]["link"]
    for name in link["properties"]:
        assert f"- {name}: " in prompt
    assert "- mcs_index: integer 0..28, required." in prompt
    assert '- detector: one of "lmmse" | "zf" | "kbest", default "lmmse".' in prompt
    assert "30 kHz: 5/11 10/24" in prompt and "100/273" in prompt
    assert "TS 38" not in prompt  # specification references are stripped, they cost tokens


def test_the_example_answer_meets_the_example_qos_on_the_twin() -> None:
    plan = parse_orchestration(answer_text(EXAMPLE_LINK), EXAMPLE_TASK)
    assert isinstance(plan, Orchestration)
    achieved = achieved_qos(evaluate_system_level(plan))
    assert qos_satisfied(achieved, EXAMPLE_TASK.requirement())


def test_answer_schema_is_the_link_schema() -> None:
    schema = answer_schema()
    assert schema == schema_document()["properties"]["link"]
    schema["properties"].clear()
    assert answer_schema()["properties"]  # a copy


def test_strict_answer_schema_spells_integer_ranges_as_enums() -> None:
    plain, strict = answer_schema(), answer_schema(integer_ranges_as_enums=True)
    assert strict["properties"]["num_layers"]["enum"] == [1, 2, 3, 4]
    assert strict["properties"]["num_prbs"]["enum"] == list(range(1, 276))
    assert "minimum" not in strict["properties"]["mcs_index"]
    assert strict["properties"]["mcs_table"] == plain["properties"]["mcs_table"]  # already an enum
    assert strict["properties"]["harq_enabled"] == plain["properties"]["harq_enabled"]


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(LINK),
        "```json\n" + json.dumps(LINK) + "\n```",
        "Here is the configuration:\n" + json.dumps(LINK, indent=2) + "\nIt meets the needs.",
        json.dumps({"link": LINK}),
    ],
)
def test_a_link_is_run_in_the_task_scenario(text: str) -> None:
    plan = parse_orchestration(text, TASK)
    assert isinstance(plan, Orchestration)
    assert plan.scenario == TASK.scenario
    assert plan.link.mcs_index == 15 and plan.link.num_prbs == 51
    assert plan.link.channel_estimator == "ls"  # schema default for a field left out


def test_a_scenario_from_the_model_is_ignored_for_the_task_one() -> None:
    text = json.dumps({"link": LINK, "scenario": {"channel_model": "awgn", "snr_db": 40}})
    plan, ignored = parse_answer(text, TASK)
    assert isinstance(plan, Orchestration)
    assert ignored
    assert plan.scenario == TASK.scenario


def test_a_task_without_scenario_gets_the_default() -> None:
    bare = Task(id="b", description="d", qos=TASK.qos)
    plan = parse_orchestration(json.dumps(LINK), bare)
    assert isinstance(plan, Orchestration) and plan.scenario == DEFAULT_SCENARIO


@pytest.mark.parametrize(
    ("text", "stage", "reason"),
    [
        ("", "no_json", "empty answer"),
        ("I would pick a high MCS and many PRBs.", "no_json", "no JSON object"),
        ('{"mcs_index": 15, "num_prbs": 5', "no_json", "does not parse"),
        ('{"mcs_index": 15, "num_prbs": 5, "detector": "lmm', "no_json", "does not parse"),
        ("[15, 51]", "not_object", "JSON list"),
        ("42", "not_object", "JSON int"),
        ('{"mcs_index": 29, "num_prbs": 5}', "invalid", "link.mcs_index"),
        ('{"mcs_index": -1, "num_prbs": 5}', "invalid", "link.mcs_index"),
        ('{"num_prbs": 5}', "invalid", "link.mcs_index: Field required"),
        ('{"mcs_index": 28, "mcs_table": 2, "num_prbs": 5}', "invalid", "not in MCS table 2"),
        ('{"mcs_index": 5, "num_prbs": 200, "bandwidth_mhz": 20}', "invalid", "num_prbs 200 exceeds the 51 PRBs"),
        ('{"mcs_index": 5, "num_prbs": 5, "num_layers": 2}', "invalid", "num_layers 2 exceeds num_tx_antennas 1"),
        ('{"mcs_index": 5, "num_prbs": 5, "beamforming": true}', "invalid", "Extra inputs are not permitted"),
        ('{"mcs_index": 5, "num_prbs": 5, "detector": "mmse"}', "invalid", "link.detector"),
        ('{"link": {"mcs_index": 5}, "scenario": {"snr_db": 10}}', "invalid", "link.num_prbs: Field required"),
    ],
)
def test_answers_that_are_no_orchestration_say_why(text: str, stage: str, reason: str) -> None:
    failure = parse_orchestration(text, TASK)
    assert isinstance(failure, ParseFailure)
    assert failure.stage == stage
    assert reason in failure.reason
