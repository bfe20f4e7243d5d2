"""The evaluation: the paper's two metrics on known answers, the generators, the CLI."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from sixg_learner.evaluation.evaluate import (
    EvaluationReport,
    HFGenerator,
    InProcessTwin,
    RandomPlanGenerator,
    evaluate,
    main,
)
from sixg_learner.generation.served import OpenAIGenerator
from sixg_learner.tasks.prompting import answer_schema, parse_orchestration
from sixg_learner.tasks.reward import FAILURE_REWARD, judge
from sixg_learner.tasks.task import Qos, Task, load_tasks
from twin_bridge.orchestration import LinkConfig, Orchestration, ScenarioConfig
from twin_bridge.service import TwinService
from twin_bridge.systemlevel import evaluate_system_level

FIXTURE = Path(__file__).parent / "fixtures" / "tasks-small.jsonl"
CHECKPOINT = Path(__file__).resolve().parents[2] / "data" / "models" / "smollm2-135m-hf"
BAD_LINK = '{"mcs_index": 3, "num_prbs": 1, "ldpc_iterations": 4}'  # ≈ 0.1 Mbps: misses every fixture task's QoS


@pytest.fixture(scope="module")
def tasks() -> list[Task]:
    return load_tasks(FIXTURE)


def link_json(link: LinkConfig) -> str:
    return json.dumps(link.model_dump(mode="json"))


def expected_score(task: Task, text: str) -> float:
    plan = parse_orchestration(text, task)
    assert isinstance(plan, Orchestration)
    return judge(evaluate_system_level(plan), plan, task.requirement()).reward


def test_a_good_and_a_bad_plan_give_half_completion_through_the_twin_service(tasks: list[Task]) -> None:
    good, bad = tasks[0], tasks[1]
    assert good.witness is not None
    answers = {good.id: link_json(good.witness.link), bad.id: BAD_LINK}
    service = TwinService(processes=1)
    try:
        report = evaluate([good, bad], lambda task: answers[task.id], twin=service)
    finally:
        service.shutdown()
    summary = report.summary
    assert summary.tasks == 2 and summary.completed == 1
    assert summary.task_completion_rate == 0.5
    first, second = report.records
    assert first.fulfilled and not second.fulfilled
    assert first.failure is None and second.failure is None
    assert first.score == pytest.approx(expected_score(good, answers[good.id]))
    assert second.score == pytest.approx(expected_score(bad, BAD_LINK))
    assert 0.0 < first.score <= 1.0 and -0.55 < second.score <= -0.1
    assert summary.average_score_completed == pytest.approx(first.score)
    assert summary.mean_reward == pytest.approx((first.score + second.score) / 2)
    assert summary.violated == 1 and summary.parse_failures == 0
    assert first.orchestration is not None
    assert first.orchestration["scenario"] == good.radio().model_dump(mode="json")
    assert first.twin is not None and first.achieved is not None
    assert first.achieved.ber == first.twin.bler  # no BER at system level: the BLER stands in


def test_unparsable_and_refused_answers_score_the_failure_reward(tasks: list[Task]) -> None:
    answers = {
        tasks[0].id: "I cannot help with that.",
        tasks[1].id: '{"mcs_index": 1, "num_prbs": 10, "ldpc_iterations": 4}',  # no BLER curve: the twin refuses
        tasks[2].id: '{"mcs_index": 40, "num_prbs": 10}',
    }
    report = evaluate(tasks[:3], lambda task: answers[task.id], twin=InProcessTwin())
    stages = [r.failure.stage if r.failure else None for r in report.records]
    assert stages == ["no_json", "twin_refused", "invalid"]
    assert "no curve for MCS 1" in report.records[1].failure.reason  # type: ignore[union-attr]
    assert all(r.score == FAILURE_REWARD and not r.fulfilled for r in report.records)
    summary = report.summary
    assert summary.task_completion_rate == 0.0 and summary.average_score_completed is None
    assert summary.parse_failures == 2 and summary.parse_failure_rate == pytest.approx(2 / 3)
    assert summary.twin_refused == 1 and summary.mean_reward == FAILURE_REWARD


def test_records_arrive_in_order_across_chunks_and_the_report_round_trips(tasks: list[Task]) -> None:
    seen: list[tuple[int, int, str]] = []
    report = evaluate(
        tasks,
        RandomPlanGenerator(seed=1),
        twin=InProcessTwin(),
        chunk_size=4,
        on_record=lambda i, n, record: seen.append((i, n, record.task_id)),
    )
    assert seen == [(i + 1, len(tasks), t.id) for i, t in enumerate(tasks)]
    assert EvaluationReport.model_validate_json(report.model_dump_json()) == report
    assert report.generator == {"kind": "random_valid_plan", "seed": 1, "runnable_only": True}
    assert report.summary.mean_witness_reward == pytest.approx(
        sum(t.witness.reward for t in tasks if t.witness) / len(tasks)
    )


def test_the_random_baseline_gives_schema_valid_runnable_varied_plans() -> None:
    generate = RandomPlanGenerator(seed=7)
    qos = Qos(max_delay_ms=2, min_throughput_mbps=1, max_ber=1e-3)
    values: dict[str, set[object]] = {}
    for i in range(150):
        task = Task(id=f"r{i}", description="d", qos=qos, scenario=ScenarioConfig(snr_db=i % 30))
        text = generate(task)
        plan = parse_orchestration(text, task)
        assert isinstance(plan, Orchestration), text
        assert plan.link.mcs_index >= (3 if plan.link.mcs_table == 1 else 2)  # runnable by the twin
        assert generate(task) == text  # seeded by (seed, task id)
        for name, value in plan.link.model_dump().items():
            values.setdefault(name, set()).add(value)
    assert all(len(v) > 1 for v in values.values()), values
    other = RandomPlanGenerator(seed=8)
    probes = [Task(id=f"r{i}", description="d", qos=qos) for i in range(10)]
    assert sum(other(t) != generate(t) for t in probes) >= 9


class _FakeChat(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []
    answer = '{"mcs_index": 9, "num_prbs": 20, "bandwidth_mhz": 20}'

    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "body": body})
        payload = json.dumps(
            {
                "choices": [{"message": {"role": "assistant", "content": self.answer}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 20},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_endpoint() -> Iterator[str]:
    _FakeChat.requests = []
    server = HTTPServer(("127.0.0.1", 0), _FakeChat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_the_openai_generator_sends_the_prompt_and_the_schema_constraint(tasks: list[Task], fake_endpoint: str) -> None:
    generate = OpenAIGenerator(fake_endpoint, "smollm2-135m-instruct", max_tokens=200)
    report = evaluate(tasks[:2], generate, twin=InProcessTwin())
    assert [r.raw_output for r in report.records] == [_FakeChat.answer] * 2
    request = _FakeChat.requests[0]
    assert request["path"] == "/v1/chat/completions"
    body = request["body"]
    assert body["model"] == "smollm2-135m-instruct" and body["max_tokens"] == 200 and body["temperature"] == 0.0
    assert body["response_format"] == {"type": "json_object", "schema": answer_schema(state=tasks[0].radio())}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert tasks[0].description in body["messages"][-1]["content"]
    assert report.generator["kind"] == "openai" and report.generator["model"] == "smollm2-135m-instruct"
    other = OpenAIGenerator(fake_endpoint, "m", json_mode="json_schema")
    other(tasks[0])
    assert _FakeChat.requests[-1]["body"]["response_format"]["type"] == "json_schema"
    OpenAIGenerator(fake_endpoint, "m", strict_ranges=True)(tasks[0])
    strict = answer_schema(integer_ranges_as_enums=True, state=tasks[0].radio())
    assert _FakeChat.requests[-1]["body"]["response_format"]["schema"] == strict


def test_the_cli_writes_the_report_and_prints_the_two_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    code = main(["--tasks", str(FIXTURE), "--model", "random", "--processes", "0", "--limit", "3", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert printed.count("s7-0000") == 3
    assert "task completion rate:" in printed and "average score of completed tasks:" in printed
    report = EvaluationReport.model_validate_json(out.read_text())
    assert report.summary.tasks == 3 and report.tasks_file == str(FIXTURE)
    assert len(report.tasks_sha256 or "") == 64


@pytest.mark.skipif(not (CHECKPOINT / "tokenizer.json").is_file(), reason=f"no converted checkpoint in {CHECKPOINT}")
def test_the_hf_generator_answers_with_the_new_tokens_only(tmp_path: Path, tasks: list[Task]) -> None:
    from tiny import ONE_LAYER, random_llama
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(CHECKPOINT)  # the real tokenizer and chat template, a tiny model
    random_llama(len(tokenizer), ONE_LAYER, max_position_embeddings=4096).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    generate = HFGenerator(tmp_path, max_new_tokens=6)
    text = generate(tasks[0])
    assert isinstance(text, str)
    assert "6G-LLM" not in text and len(tokenizer(text)["input_ids"]) <= 6
    assert generate.describe()["constrained"] is False


def test_a_merged_model_is_asked_with_the_prompt_its_lineage_names(tmp_path: Path) -> None:
    from sixg_learner.evaluation.evaluate import lineage_prompt

    assert lineage_prompt(tmp_path) == "plain", "a base folder: no lineage"
    (tmp_path / "maestro_lineage.json").write_text('{"step": 2}')
    assert lineage_prompt(tmp_path) == "plain", "a lineage from before the link-budget prompt"
    (tmp_path / "maestro_lineage.json").write_text('{"step": 2, "prompt": "link-budget"}')
    assert lineage_prompt(tmp_path) == "link-budget"
