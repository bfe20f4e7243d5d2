"""The zero-shot prompt and the step from an answer to an executable orchestration."""

from __future__ import annotations

import json

import pytest
from sixg_learner.tasks.prompting import (
    ParseFailure,
    answer_schema,
    build_messages,
    parse_answer,
    parse_orchestration,
    system_prompt,
)
from sixg_learner.tasks.task import DEFAULT_SCENARIO, Qos, Task
from twin_bridge.orchestration import Orchestration, ScenarioConfig, schema_document

TASK = Task(
    id="t1",
    description="A teleoperated car streams its front cameras to a remote driver.",
    qos=Qos(min_throughput_mbps=25.0, max_delay_ms=1.8, max_ber=1e-4),
    scenario=ScenarioConfig(channel_model="tdl-c", snr_db=12.5, ue_speed_mps=20, delay_spread_ns=300),
)
LINK = {"mcs_index": 15, "num_prbs": 51, "bandwidth_mhz": 20, "subcarrier_spacing_khz": 30, "num_rx_antennas": 2}


def test_messages_are_zero_shot_with_the_task_and_its_cell_state() -> None:
    messages = build_messages(TASK)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"] == system_prompt()
    last = messages[1]["content"]
    assert TASK.description in last
    for fragment in (">= 25 Mbps", "<= 1.8 ms", "<= 0.0001", "tdl-c", "SNR 12.5 dB", "speed 20 m/s", "300 ns"):
        assert fragment in last
    # the cell state the link must fit is part of the task (defaults: nothing constrained)
    for fragment in ("UE antennas 4", "cell antennas 8", "free PRBs 275", "measured CSI yes", "budget 50 LDPC"):
        assert fragment in last
    loaded = TASK.model_copy(
        update={"scenario": TASK.radio().model_copy(update={"free_prbs": 12, "measured_csi": False})}
    )
    assert "free PRBs 12" in build_messages(loaded)[1]["content"]
    assert "measured CSI no" in build_messages(loaded)[1]["content"]
    # no worked example to copy, and the same system message for every task (one shared prefix)
    assert "{" not in messages[0]["content"]
    assert build_messages(loaded)[0] == messages[0]


def test_the_prompt_is_short() -> None:
    # the bound is 400 tokens with the chat template; characters are a rough proxy here
    # (the real-tokenizer count is test_grammar.py's)
    assert len(system_prompt()) + len(build_messages(TASK)[1]["content"]) < 1400


def test_the_compact_prompt_is_the_link_budget_task_under_a_shorter_system_message() -> None:
    compact, hinted = build_messages(TASK, "compact"), build_messages(TASK, "link-budget")
    assert compact[1] == hinted[1], "the same user message: the task, its state and its link budget"
    assert compact[0]["content"] == system_prompt("compact") != system_prompt("link-budget")
    assert len(compact[0]["content"]) < 0.8 * len(hinted[0]["content"])
    assert "{" not in compact[0]["content"]  # zero-shot too
    with pytest.raises(ValueError, match="unknown prompt"):
        system_prompt("terse")  # type: ignore[arg-type]


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


def test_the_served_schema_is_narrowed_to_the_cell_state() -> None:
    state = ScenarioConfig(
        snr_db=10, free_prbs=12, ue_antennas=1, cell_antennas=2, measured_csi=False, max_ldpc_iterations=8
    )
    props = answer_schema(state=state)["properties"]
    assert props["num_prbs"]["maximum"] == 12 and props["num_layers"]["maximum"] == 1
    assert props["num_tx_antennas"]["enum"] == [1] and props["num_rx_antennas"]["enum"] == [1, 2]
    assert props["channel_estimator"]["enum"] == ["ls"] and props["ldpc_iterations"]["maximum"] == 8
    assert props["ldpc_iterations"]["default"] == 8  # a default outside the state would be a refused plan
    strict = answer_schema(integer_ranges_as_enums=True, state=state)["properties"]
    assert strict["num_prbs"]["enum"] == list(range(1, 13))
    assert answer_schema(state=ScenarioConfig(snr_db=10)) == answer_schema()  # the defaults constrain nothing
