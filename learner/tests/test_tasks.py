"""Tasks: the generator (deterministic, feasible on the twin), the files, the loader's errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sixg_learner.tasks.generate import (
    TEMPLATES,
    TaskTemplate,
    _nice_ber,
    acceptable_paraphrase,
    check_witness,
    feasibility_grid,
    find_witness,
    generate_tasks,
)
from sixg_learner.tasks.reward import judge
from sixg_learner.tasks.scoring import system_level_evaluator
from sixg_learner.tasks.task import (
    DEFAULT_SCENARIO,
    Qos,
    Task,
    TaskFileError,
    load_tasks,
    parse_tasks,
    tasks_jsonl,
    write_tasks,
)
from twin_bridge.orchestration import Orchestration, ScenarioConfig
from twin_bridge.systemlevel import evaluate_system_level

FIXTURE = Path(__file__).parent / "fixtures" / "tasks-small.jsonl"


@pytest.fixture(scope="module")
def generated() -> list[Task]:
    return generate_tasks(3, seed=11).tasks


def test_generation_is_deterministic_per_seed(generated: list[Task]) -> None:
    again = generate_tasks(3, seed=11).tasks
    assert tasks_jsonl(again) == tasks_jsonl(generated)
    other = generate_tasks(1, seed=12).tasks
    assert other[0].qos != generated[0].qos


def test_generated_tasks_are_well_formed(generated: list[Task]) -> None:
    keys = {t.key for t in TEMPLATES}
    assert len({t.id for t in generated}) == len(generated)
    for task in generated:
        assert task.template in keys
        assert task.scenario is not None
        template = next(t for t in TEMPLATES if t.key == task.template)
        assert task.description in template.descriptions
        # rounding may step just past a range's end, never further
        lo, hi = template.throughput_mbps
        assert lo * 0.95 <= task.qos.min_throughput_mbps <= hi * 1.05
        assert template.snr_db[0] <= task.scenario.snr_db <= template.snr_db[1]
        assert task.scenario.channel_model in template.channel_models


def test_every_generated_task_is_feasible_on_the_twin(generated: list[Task]) -> None:
    for task in generated:
        assert task.witness is not None
        plan = Orchestration(link=task.witness.link, scenario=task.radio())
        verdict = judge(evaluate_system_level(plan), plan, task.requirement())
        assert verdict.satisfied, task.id
        assert verdict.reward == pytest.approx(task.witness.reward)
        assert check_witness(task)[0]


def test_the_witness_is_the_best_grid_link() -> None:
    task = Task(
        id="t",
        description="d",
        qos=Qos(min_throughput_mbps=10, max_delay_ms=2.0, max_ber=1e-3),
        scenario=ScenarioConfig(snr_db=10),
    )
    grid = feasibility_grid()[::9]  # every SCS, carrier, MCS table; a ninth of the links
    witness = find_witness(task, grid=grid)
    assert witness is not None
    plans = [Orchestration(link=link, scenario=task.radio()) for link in grid]
    verdicts = [
        judge(r, plan, task.requirement())
        for plan, r in zip(plans, system_level_evaluator(plans), strict=True)
        if r is not None
    ]
    assert witness.reward == pytest.approx(max(v.reward for v in verdicts if v.satisfied))


def test_infeasible_draws_are_dropped_and_counted() -> None:
    impossible = TaskTemplate(
        key="impossible",
        descriptions=("Upload the whole internet.",),
        throughput_mbps=(50_000.0, 60_000.0),
        delay_ms=(1.0, 2.0),
        ber=(1e-3, 1e-2),
        snr_db=(10.0, 10.0),
        channel_models=("awgn",),
    )
    result = generate_tasks(2, seed=1, templates=[impossible], max_candidates=3)
    assert result.tasks == []
    assert result.candidates == 3
    assert result.counts()["infeasible_by_template"] == {"impossible": 3}


def test_paraphrase_replaces_descriptions_and_counts_rejections() -> None:
    calls: list[int] = []

    def paraphrase(description: str, seed: int) -> str | None:
        calls.append(seed)
        return None if len(calls) == 1 else "Reworded: " + description

    result = generate_tasks(2, seed=3, paraphrase=paraphrase)
    assert result.paraphrased == 1 and result.paraphrase_rejected == 1
    assert not result.tasks[0].description.startswith("Reworded")
    assert result.tasks[1].description.startswith("Reworded: ")
    assert acceptable_paraphrase("A camera streams video.", "A camera sends its live video feed upstream.")
    assert not acceptable_paraphrase("A camera streams video.", "A camera streams 40 Mbps of video.")
    assert not acceptable_paraphrase("A camera streams video.", "short")


def test_ber_is_rounded_to_one_two_five() -> None:
    assert _nice_ber(1.1e-4) == 1e-4
    assert _nice_ber(1.8e-5) == 2e-5
    assert _nice_ber(4.0e-3) == 5e-3
    assert _nice_ber(8.0e-3) == 1e-2


def test_write_names_the_file_by_content_hash_and_loads_back(generated: list[Task], tmp_path: Path) -> None:
    path = write_tasks(generated, tmp_path, meta={"seed": 11})
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert path.name == f"tasks-{digest[:12]}.jsonl"
    meta = json.loads(path.with_suffix(".meta.json").read_text())
    assert meta["sha256"] == digest and meta["seed"] == 11
    assert load_tasks(path) == generated
    array = tmp_path / "tasks.json"
    array.write_text(json.dumps([json.loads(line) for line in path.read_text().splitlines()], indent=2))
    assert load_tasks(array) == generated


def test_a_task_without_scenario_runs_in_the_default_one() -> None:
    bare = parse_tasks('{"id": "a", "description": "d", "qos": {"max_delay_ms": 2, "min_throughput_mbps": 1, '
                       '"max_ber": 0.001}}')[0]  # fmt: skip
    assert bare.scenario is None and bare.radio() == DEFAULT_SCENARIO
    partial = parse_tasks(
        '[{"id": "a", "description": "d", "qos": {"max_delay_ms": 2, "min_throughput_mbps": 1, "max_ber": 0.001},'
        ' "scenario": {"channel_model": "tdl-a"}}]'
    )[0]
    assert partial.radio() == DEFAULT_SCENARIO.model_copy(update={"channel_model": "tdl-a"})


GOOD = '{"id": "a", "description": "d", "qos": {"max_delay_ms": 2, "min_throughput_mbps": 1, "max_ber": 0.001}}'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("\n\n", "empty file"),
        ("[]", "no tasks"),
        (GOOD + "\n{not json", ":2: not a JSON object"),
        ("[1, 2", "not valid JSON"),
        ("[42]", "item 0: a task must be a JSON object"),
        ('{"id": "a", "description": "d"}', "line 1: invalid task: qos: Field required"),
        (GOOD.replace("0.001", "1.5"), "qos.max_ber"),
        (GOOD.replace('"max_delay_ms"', '"max_latency_ms"'), "qos.max_latency_ms: Extra inputs are not permitted"),
        (GOOD.replace("}}", '}, "scenario": {"snr_db": 99}}'), "scenario.snr_db"),
        (GOOD + "\n" + GOOD, "line 2: duplicate task id 'a' (first at line 1)"),
    ],
)
def test_loader_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(TaskFileError) as err:
        parse_tasks(text, "f.jsonl")
    assert message in str(err.value)
    assert str(err.value).startswith("f.jsonl")


def test_loading_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(TaskFileError, match="cannot read"):
        load_tasks(tmp_path / "absent.jsonl")


def test_the_committed_fixture_is_valid_and_feasible() -> None:
    tasks = load_tasks(FIXTURE)
    assert 5 <= len(tasks) <= 8
    for task in tasks:
        ok, summary = check_witness(task)
        assert ok, f"{task.id}: {summary}"
