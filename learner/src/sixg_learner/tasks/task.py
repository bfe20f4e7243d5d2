"""What a task is, and its file: the 6G-LLM's prompts (RLDTF paper, Sections III-B and IV-B).

A task is what an upper-layer service asks of the network, in the issue's format::

    {"id": "...", "description": "...",
     "qos": {"max_delay_ms": 1.5, "min_throughput_mbps": 20, "max_ber": 1e-4},
     "scenario": {"channel_model": "tdl-c", "snr_db": 12.5, ...}}     # optional

Who chooses what: the 6G-LLM chooses the `link` (the physical-layer processing chain); the `scenario`
(channel, SNR, speed, carrier, delay spread) is the environment the task runs in and belongs to the
task. The evaluator always runs the model's link in the task's scenario, whatever the model wrote.
A task without a scenario runs in `DEFAULT_SCENARIO`; a partial scenario is completed from it.

Units follow the twin and the reward (`reward.py`): throughput in Mbps (goodput), delay in
ms (the twin's expected delivery latency of one transport block: slot + UE/gNB processing + HARQ
round trips, docs/TWIN.md), BER a probability. At system level the twin gives no BER, and the reward
uses the per-attempt BLER as its upper bound, so `max_ber` is in effect a bound on the BLER there.

Task files are JSONL (or a JSON array), named by their content's hash (`write_tasks`); `generate.py`
draws them, each feasible on the twin.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from twin_bridge.orchestration import LinkConfig, ScenarioConfig

from sixg_learner.tasks.reward import QosRequirement

DEFAULT_SCENARIO = ScenarioConfig(
    channel_model="awgn", snr_db=15.0, ue_speed_mps=0.0, carrier_frequency_ghz=3.5, delay_spread_ns=100.0
)
"""Radio conditions of a task that names none: AWGN at 15 dB SNR per receive antenna, a static UE on a
3.5 GHz carrier (delay spread unused on AWGN). AWGN because it is the one channel on which the twin's
two fidelities agree (the system level evaluates TDL/CDL as AWGN at the same SNR)."""


class Qos(BaseModel):
    """The task's QoS needs (the paper's del, thr, BER targets)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_delay_ms: float = Field(gt=0, description="maximum allowable delay, ms")
    min_throughput_mbps: float = Field(gt=0, description="minimum required throughput (goodput), Mbps")
    max_ber: float = Field(gt=0, lt=1, description="maximum tolerable bit error rate")

    def requirement(self) -> QosRequirement:
        """The same needs in the reward's terms."""
        return QosRequirement(
            min_throughput_mbps=self.min_throughput_mbps, max_latency_ms=self.max_delay_ms, max_ber=self.max_ber
        )


class FeasibilityWitness(BaseModel):
    """A link that satisfies the task's QoS on the twin in the task's scenario, with what it reached."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    link: LinkConfig
    fidelity: Literal["system", "link"] = "system"
    throughput_mbps: float
    latency_ms: float
    ber: float = Field(description="BER, or the per-attempt BLER standing in for it at system level")
    reward: float = Field(description="eq. (2) with the default weights: the grid's best score for this task")


class Task(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    description: str = Field(min_length=1)
    qos: Qos
    scenario: ScenarioConfig | None = Field(default=None, description="radio conditions; None: DEFAULT_SCENARIO")
    template: str | None = Field(default=None, description="the generator template the task was drawn from")
    witness: FeasibilityWitness | None = Field(default=None, description="feasibility proof; never shown to a model")

    @model_validator(mode="before")
    @classmethod
    def _complete_scenario(cls, data: Any) -> Any:  # noqa: ANN401 - pydantic hands over raw input
        # A partial scenario (e.g. only {"channel_model": "tdl-a"}) is completed from DEFAULT_SCENARIO.
        if isinstance(data, dict) and isinstance(data.get("scenario"), dict):
            data = {**data, "scenario": {**DEFAULT_SCENARIO.model_dump(), **data["scenario"]}}
        return data

    def radio(self) -> ScenarioConfig:
        """The scenario the task runs in (its own, or DEFAULT_SCENARIO)."""
        return self.scenario if self.scenario is not None else DEFAULT_SCENARIO

    def requirement(self) -> QosRequirement:
        return self.qos.requirement()


# --------------------------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------------------------


class TaskFileError(ValueError):
    """A task file that cannot be read; the message names the file, the line or item, and the problem."""


def tasks_jsonl(tasks: Sequence[Task]) -> str:
    """The canonical JSONL text of tasks (one compact object per line, unset fields left out)."""
    return "".join(task.model_dump_json(exclude_none=True) + "\n" for task in tasks)


def write_tasks(tasks: Sequence[Task], out_dir: Path, meta: dict[str, Any] | None = None) -> Path:
    """Writes `tasks-<sha256[:12]>.jsonl` (hash of the content) and, with `meta`, a `.meta.json` beside it."""
    text = tasks_jsonl(tasks)
    digest = hashlib.sha256(text.encode()).hexdigest()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"tasks-{digest[:12]}.jsonl"
    path.write_text(text)
    if meta is not None:
        sidecar = path.with_suffix(".meta.json")
        sidecar.write_text(json.dumps({"file": path.name, "sha256": digest, **meta}, indent=2) + "\n")
    return path


def _error_text(err: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'task'}: {e['msg']}" for e in err.errors())


def parse_tasks(text: str, source: str = "<tasks>") -> list[Task]:
    """Tasks from a JSON array or from JSONL (blank lines skipped); raises TaskFileError."""
    stripped = text.lstrip()
    if not stripped:
        raise TaskFileError(f"{source}: no tasks (empty file)")
    items: list[tuple[str, object]] = []
    if stripped.startswith("["):
        try:
            array = json.loads(text)
        except json.JSONDecodeError as err:
            raise TaskFileError(f"{source}: not valid JSON: {err}") from None
        items = [(f"item {i}", item) for i, item in enumerate(array)]
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append((f"line {number}", json.loads(line)))
            except json.JSONDecodeError as err:
                raise TaskFileError(f"{source}:{number}: not a JSON object: {err}") from None
    tasks: list[Task] = []
    seen: dict[str, str] = {}
    for where, item in items:
        if not isinstance(item, dict):
            raise TaskFileError(f"{source}: {where}: a task must be a JSON object, got {type(item).__name__}")
        try:
            task = Task.model_validate(item)
        except ValidationError as err:
            raise TaskFileError(f"{source}: {where}: invalid task: {_error_text(err)}") from None
        if task.id in seen:
            raise TaskFileError(f"{source}: {where}: duplicate task id {task.id!r} (first at {seen[task.id]})")
        seen[task.id] = where
        tasks.append(task)
    if not tasks:
        raise TaskFileError(f"{source}: no tasks")
    return tasks


def load_tasks(path: Path | str) -> list[Task]:
    """Reads a task file (JSON array or JSONL); raises TaskFileError naming the file and the problem."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise TaskFileError(f"{path}: cannot read: {err.strerror or err}") from None
    return parse_tasks(text, str(path))


def file_sha256(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
