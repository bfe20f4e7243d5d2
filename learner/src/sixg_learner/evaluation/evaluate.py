"""Evaluation of a 6G-LLM on tasks: the paper's two metrics (RLDTF, Section IV-C).

For each task: the model's answer to the one-shot prompt (`sixg_learner.tasks.prompting`), the orchestration
it is interpreted as (or why it is none), the QoS the twin measures for it in the task's scenario,
whether that meets the task's needs, and its eq. (2) score (`sixg_learner.tasks.reward`). Summary:

- **task completion rate**: the share of tasks whose orchestration meets the task's QoS;
- **average score of completed tasks**: the mean eq. (2) reward over those tasks ("the scoring function
  is identical to the reward function used during reinforcement learning");
- also the mean reward over all tasks (an answer that cannot be parsed or that the twin refuses scores
  R⁻_base = −1), the parse-failure and refusal rates, and the mean score of the tasks' feasibility
  witnesses (the best link of the generator's grid: a reference, not an upper bound).

Generators (callables task → answer text):

- `OpenAIGenerator` (`served.py`): an OpenAI-compatible chat endpoint with the answer schema as
  constraint (llama.cpp's `json_object` + `schema`); this evaluates the served base model
  (`smollm2-135m-instruct`) and any model served later.
- `RandomPlanGenerator`: the "random valid plan" baseline: a link drawn uniformly from the links
  that pass the schema and the cross-field rules (and that the twin can run).
- `HFGenerator`: a Hugging Face checkpoint (e.g. `python -m sixg_learner.export.convert`'s, or a trained one)
  through transformers' `generate`, greedy by default. Unconstrained decoding: unlike the served model,
  nothing forces its answer to be JSON.
- `PolicyGenerator` (`--model policy:DIR`): the training policy, a base folder or a training checkpoint,
  greedy under the answer grammar as training samples it; the four benchmarks are compared this way.
  With `--temperature T` one sample per task from π_c at T (seeded by `--seed`): best-of-k figures
  combine k such reports (`sixg:compare`, `a.json+b.json`).

Twin calls go in batches through `twin_bridge.service.TwinService` (a process pool; system level is
one vectorised call per process) or `InProcessTwin` (no pool: tests, `--processes 0`).

    python -m sixg_learner.evaluation.evaluate --tasks learner/data/tasks-<hash>.jsonl --model random
    python -m sixg_learner.evaluation.evaluate --tasks ... --model smollm2-135m-instruct [--base-url URL]
    python -m sixg_learner.evaluation.evaluate --tasks ... --model hf:data/models/smollm2-135m-hf
    python -m sixg_learner.evaluation.evaluate --tasks ... --model policy:data/sixg/runs/<run>/rs-round-2
    python -m sixg_learner.evaluation.evaluate --tasks ... --model promoted   # served `sixg-llm`, else its HF folder
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field
from twin_bridge.orchestration import LinkConfig, Orchestration, ScenarioConfig, TwinResult
from twin_bridge.service import BatchItem, BatchReport, TwinService, parse_plan

from sixg_learner.chat import SIXG_MODEL_ID, model_endpoint, served_models
from sixg_learner.evaluation.baselines import ConstantPlanGenerator, LeanRulePlanGenerator, RulePlanGenerator
from sixg_learner.export.convert import LINEAGE_FILE
from sixg_learner.export.ship import PROMOTED_FILE
from sixg_learner.generation.served import OpenAIGenerator
from sixg_learner.tasks.prompting import PROMPTS, ParseFailure, PromptKind, build_messages, parse_answer
from sixg_learner.tasks.reward import DEFAULT_WEIGHTS, RewardWeights, judge
from sixg_learner.tasks.scoring import system_level_evaluator
from sixg_learner.tasks.task import Qos, Task, file_sha256, load_tasks

Fidelity = Literal["system", "link"]


# --------------------------------------------------------------------------------------------------------------------
# Generators
# --------------------------------------------------------------------------------------------------------------------


class Generator(Protocol):
    def __call__(self, task: Task) -> str: ...


def describe(generate_fn: Callable[[Task], str]) -> dict[str, Any]:
    """What a generator says about itself (its `describe()`), for the report."""
    describer = getattr(generate_fn, "describe", None)
    return describer() if callable(describer) else {"kind": getattr(generate_fn, "__name__", "callable")}


_LINK_CHOICES: dict[str, Sequence[object]] = {
    "mcs_table": (1, 2),
    "mcs_index": range(0, 29),
    "num_prbs": range(1, 276),
    "subcarrier_spacing_khz": (15, 30, 60),
    "bandwidth_mhz": (5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100),
    "num_layers": range(1, 5),
    "num_tx_antennas": (1, 2, 4),
    "num_rx_antennas": (1, 2, 4, 8),
    "channel_estimator": ("perfect", "ls"),
    "detector": ("lmmse", "zf", "kbest"),
    "ldpc_iterations": range(1, 51),
    "harq_enabled": (False, True),
    "harq_max_retransmissions": range(0, 5),
}
_LOWEST_RUNNABLE_MCS = {1: 3, 2: 2}  # the twin has no BLER curve below these (docs/TWIN.md)


def random_valid_link(rng: random.Random, scenario: ScenarioConfig, runnable_only: bool = True) -> LinkConfig:
    """A link drawn uniformly from the valid ones: every field uniform over its schema range, redrawn until
    the plan passes the cross-field rules (rejection sampling keeps the distribution uniform over the
    valid set). `runnable_only` also rejects the MCS the twin has no curve for."""
    # Each field is drawn from its schema range cut to the task's system state (a superset of its valid
    # values), then the cross-field rules reject: still uniform over the valid links, without drawing
    # 275 PRBs for a cell that has 6 free.
    choices = dict(_LINK_CHOICES)
    choices["num_prbs"] = range(1, scenario.free_prbs + 1)
    choices["num_tx_antennas"] = [n for n in (1, 2, 4) if n <= scenario.ue_antennas]
    choices["num_rx_antennas"] = [n for n in (1, 2, 4, 8) if n <= scenario.cell_antennas]
    choices["ldpc_iterations"] = range(1, scenario.max_ldpc_iterations + 1)
    if not scenario.measured_csi:
        choices["channel_estimator"] = ("ls",)
    for _ in range(10_000):
        fields = {name: rng.choice(options) for name, options in choices.items()}
        if runnable_only and fields["mcs_index"] < _LOWEST_RUNNABLE_MCS[fields["mcs_table"]]:  # type: ignore[index]
            continue
        try:
            return parse_plan({"link": fields, "scenario": scenario.model_dump()}).link
        except ValueError:
            continue
    raise RuntimeError("no valid link in 10000 draws")  # pragma: no cover - acceptance is about 1 in 10


class RandomPlanGenerator:
    """The "random valid plan" baseline; each task gets its own stream, seeded by (seed, task id), so an
    answer does not depend on which other tasks are evaluated or in what order."""

    def __init__(self, seed: int = 0, runnable_only: bool = True) -> None:
        self.seed, self.runnable_only = seed, runnable_only

    def __call__(self, task: Task) -> str:
        rng = random.Random(f"{self.seed}:{task.id}")
        link = random_valid_link(rng, task.radio(), self.runnable_only)
        return json.dumps(link.model_dump(mode="json"), separators=(",", ":"))

    def describe(self) -> dict[str, Any]:
        return {"kind": "random_valid_plan", "seed": self.seed, "runnable_only": self.runnable_only}


def lineage_prompt(model_dir: Path) -> PromptKind:
    """The prompt a merged training model was trained with (its `maestro_lineage.json`); "plain" for a base
    folder or a lineage from before the link-budget prompt."""
    lineage_file = model_dir / LINEAGE_FILE
    if not lineage_file.is_file():
        return "plain"
    return json.loads(lineage_file.read_text()).get("prompt", "plain")


class HFGenerator:
    """A Hugging Face causal LM answering the same chat messages (its own chat template), loaded on first use."""

    def __init__(
        self, model_dir: Path | str, max_new_tokens: int = 256, temperature: float = 0.0, seed: int = 0
    ) -> None:
        self.model_dir = Path(model_dir)
        self.max_new_tokens, self.temperature, self.seed = max_new_tokens, temperature, seed
        self._tokenizer: Any = None
        self._model: Any = None
        self.prompt: PromptKind = "plain"

    def _load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if not (self.model_dir / "config.json").is_file():
            raise FileNotFoundError(f"{self.model_dir} holds no Hugging Face checkpoint (no config.json)")
        self._tokenizer = AutoTokenizer.from_pretrained(self.model_dir)
        self._model = AutoModelForCausalLM.from_pretrained(self.model_dir, dtype=torch.float32).eval()
        self.prompt = lineage_prompt(self.model_dir)

    def __call__(self, task: Task) -> str:
        import torch

        if self._model is None:
            self._load()
        inputs = self._tokenizer.apply_chat_template(
            build_messages(task, self.prompt), add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        sample = self.temperature > 0
        if sample:
            torch.manual_seed(self.seed)
        with torch.no_grad():
            output = self._model.generate(
                **inputs,
                max_new_tokens=self.max_new_tokens,
                do_sample=sample,
                temperature=self.temperature if sample else None,
                top_p=None,
                top_k=None,
                pad_token_id=self._tokenizer.pad_token_id or self._tokenizer.eos_token_id,
            )
        new_tokens = output[0, inputs["input_ids"].shape[1] :]
        return self._tokenizer.decode(new_tokens, skip_special_tokens=True)

    def describe(self) -> dict[str, Any]:
        lineage_file = self.model_dir / "maestro_lineage.json"
        lineage = json.loads(lineage_file.read_text()) if lineage_file.is_file() else None
        return {
            "kind": "hf",
            "model_dir": str(self.model_dir),
            "lineage": lineage,
            "prompt": self.prompt,
            "max_new_tokens": self.max_new_tokens,
            "temperature": self.temperature,
            "constrained": False,
        }


class PolicyGenerator:
    """The training policy itself, decoding greedily under the answer grammar (grammar.py), batched.

    `model_dir` is a base HF folder (the untrained model under the grammar) or a training checkpoint
    (its LoRA adapters on the base its lineage names: a domain, RS or PPO checkpoint). This is the
    policy exactly as training samples it, with the argmax for the sample: the way to compare the
    paper's four benchmarks on equal terms. The answers of all `tasks` are decoded together on the
    first call (chunks of `policy.SAMPLING_ROWS`), so the per-task seconds in the report are that
    batch's time divided by the number of tasks.
    """

    def __init__(
        self, model_dir: Path | str, tasks: Sequence[Task], max_new_tokens: int, temperature: float = 0.0, seed: int = 0
    ) -> None:
        self.model_dir = Path(model_dir)
        self.tasks = list(tasks)
        self.max_new_tokens = max_new_tokens
        self.temperature, self.seed = temperature, seed  # 0: greedy; else one sample per task from π_c at T
        self._answers: dict[str, str] | None = None
        self._lineage: dict[str, Any] | None = None
        self._prompt: str | None = None

    def _decode_all(self) -> dict[str, str]:
        # torch and the model stack only when a policy is evaluated: `--model random` starts in a second
        from sixg_learner.generation.grammar import StateLimits
        from sixg_learner.generation.policy import chat_prompts, load_policy, sample
        from sixg_learner.training.checkpoints import is_checkpoint, load_checkpoint

        if is_checkpoint(self.model_dir):
            checkpoint = load_checkpoint(self.model_dir)
            policy, self._lineage = checkpoint.policy, checkpoint.lineage
        else:
            policy = load_policy(self.model_dir)
            policy.prompt = lineage_prompt(self.model_dir)
        self._prompt = policy.prompt
        limits = [StateLimits.of(task.radio()) for task in self.tasks]
        rollout = sample(
            policy,
            chat_prompts(self.tasks, policy),
            1,
            self.max_new_tokens,
            self.temperature or 1.0,
            self.seed,
            score=False,
            greedy=self.temperature == 0,
            limits=limits,
        )
        return {task.id: text for task, text in zip(self.tasks, rollout.texts, strict=True)}

    def __call__(self, task: Task) -> str:
        if self._answers is None:
            self._answers = self._decode_all()
        if task.id not in self._answers:
            raise KeyError(f"task {task.id!r} was not among the tasks this generator was made for")
        return self._answers[task.id]

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "policy",
            "model_dir": str(self.model_dir),
            "lineage": self._lineage,
            "prompt": self._prompt,
            "max_new_tokens": self.max_new_tokens,
            "temperature": self.temperature,
            "seed": None if self.temperature == 0 else self.seed,
            "constrained": "answer grammar (grammar.py): fields in schema order, ranges and cross-field rules",
        }


# --------------------------------------------------------------------------------------------------------------------
# The twin
# --------------------------------------------------------------------------------------------------------------------


class Twin(Protocol):
    async def evaluate_batch(
        self, raw_plans: Sequence[object], fidelity: Fidelity, num_slots: int = 20, seed: int = 0
    ) -> BatchReport: ...


class InProcessTwin:
    """TwinService's batch interface without a process pool: system level in one vectorised call."""

    async def evaluate_batch(
        self, raw_plans: Sequence[object], fidelity: Fidelity, num_slots: int = 20, seed: int = 0
    ) -> BatchReport:
        started = time.perf_counter()
        report = BatchReport(items=[BatchItem(index=i) for i in range(len(raw_plans))])
        valid: list[tuple[BatchItem, Orchestration]] = []
        for item, raw in zip(report.items, raw_plans, strict=True):
            try:
                valid.append((item, parse_plan(raw)))
            except ValueError as err:
                item.error = str(err)
        if fidelity == "system":
            results = system_level_evaluator([plan for _, plan in valid])
            for (item, plan), result in zip(valid, results, strict=True):
                if result is None:
                    item.error = _refusal(plan)
                else:
                    item.result = result
        else:
            from twin_bridge.linklevel import evaluate_link_level

            for item, plan in valid:
                try:
                    item.result = evaluate_link_level(plan, num_slots=num_slots, seed=seed)
                except ValueError as err:
                    item.error = str(err)
        report.invalid = sum(item.error is not None for item in report.items)
        report.evaluated = len(raw_plans) - report.invalid
        report.elapsed_s = time.perf_counter() - started
        return report


def _refusal(plan: Orchestration) -> str:
    from twin_bridge.systemlevel import evaluate_system_level

    try:
        evaluate_system_level(plan)
    except ValueError as err:
        return str(err)
    return "the twin refused the plan"  # pragma: no cover - a refusal that does not repeat


# --------------------------------------------------------------------------------------------------------------------
# The evaluation
# --------------------------------------------------------------------------------------------------------------------

FailureStage = Literal["no_json", "not_object", "invalid", "twin_refused"]


class Failure(BaseModel):
    stage: FailureStage
    reason: str


class AchievedRecord(BaseModel):
    throughput_mbps: float
    latency_ms: float
    ber: float = Field(description="BER, or the per-attempt BLER standing in for it at system level")
    resource_share: float = Field(default=0.0, description="share of the cell's free resources the plan took")


class TaskEvaluation(BaseModel):
    task_id: str
    template: str | None
    raw_output: str
    generation_s: float
    orchestration: dict[str, Any] | None = Field(description="the executed plan (task's scenario merged in)")
    scenario_ignored: bool = Field(description="the answer carried a scenario, replaced by the task's")
    failure: Failure | None
    required: Qos
    achieved: AchievedRecord | None
    twin: TwinResult | None
    fulfilled: bool
    score: float = Field(description="eq. (2); R⁻_base when the answer is not an executable plan")
    witness_reward: float | None = Field(description="the score of the task's feasibility witness, if any")


class EvaluationSummary(BaseModel):
    tasks: int
    completed: int
    task_completion_rate: float
    average_score_completed: float | None = Field(description="None when no task was completed")
    mean_reward: float
    parse_failures: int
    parse_failure_rate: float
    twin_refused: int
    violated: int = Field(description="executed, but the QoS was missed")
    mean_witness_reward: float | None = Field(description="grid-best reference over tasks with a witness")
    mean_generation_s: float


class EvaluationReport(BaseModel):
    created: str
    generator: dict[str, Any]
    fidelity: Fidelity
    tasks_file: str | None = None
    tasks_sha256: str | None = None
    weights: dict[str, float]
    summary: EvaluationSummary
    records: list[TaskEvaluation]


def summarize(records: Sequence[TaskEvaluation]) -> EvaluationSummary:
    n = len(records)
    completed = [r for r in records if r.fulfilled]
    parse_failures = sum(r.failure is not None and r.failure.stage != "twin_refused" for r in records)
    refused = sum(r.failure is not None and r.failure.stage == "twin_refused" for r in records)
    witnesses = [r.witness_reward for r in records if r.witness_reward is not None]
    return EvaluationSummary(
        tasks=n,
        completed=len(completed),
        task_completion_rate=len(completed) / n if n else 0.0,
        average_score_completed=statistics.fmean(r.score for r in completed) if completed else None,
        mean_reward=statistics.fmean(r.score for r in records) if n else 0.0,
        parse_failures=parse_failures,
        parse_failure_rate=parse_failures / n if n else 0.0,
        twin_refused=refused,
        violated=sum(r.failure is None and not r.fulfilled for r in records),
        mean_witness_reward=statistics.fmean(witnesses) if witnesses else None,
        mean_generation_s=statistics.fmean(r.generation_s for r in records) if n else 0.0,
    )


def _record(
    task: Task,
    text: str,
    seconds: float,
    parsed: Orchestration | ParseFailure,
    scenario_ignored: bool,
    item: BatchItem | None,
    weights: RewardWeights,
) -> TaskEvaluation:
    common: dict[str, Any] = {
        "task_id": task.id,
        "template": task.template,
        "raw_output": text,
        "generation_s": seconds,
        "scenario_ignored": scenario_ignored,
        "required": task.qos,
        "witness_reward": task.witness.reward if task.witness is not None else None,
    }
    if isinstance(parsed, ParseFailure):
        return TaskEvaluation(
            **common,
            orchestration=None,
            failure=Failure(stage=parsed.stage, reason=parsed.reason),
            achieved=None,
            twin=None,
            fulfilled=False,
            score=weights.base_violated,
        )
    plan = parsed.model_dump(mode="json")
    if item is None or item.result is None:
        reason = item.error if item is not None and item.error else "the twin returned no result"
        return TaskEvaluation(
            **common,
            orchestration=plan,
            failure=Failure(stage="twin_refused", reason=reason),
            achieved=None,
            twin=None,
            fulfilled=False,
            score=weights.base_violated,
        )
    verdict = judge(item.result, parsed, task.requirement(), weights)
    return TaskEvaluation(
        **common,
        orchestration=plan,
        failure=None,
        achieved=AchievedRecord(**asdict(verdict.achieved)),
        twin=item.result,
        fulfilled=verdict.satisfied,
        score=verdict.reward,
    )


async def evaluate_async(
    tasks: Sequence[Task],
    generate_fn: Callable[[Task], str],
    fidelity: Fidelity = "system",
    *,
    twin: Twin | None = None,
    weights: RewardWeights = DEFAULT_WEIGHTS,
    num_slots: int = 20,
    seed: int = 0,
    chunk_size: int = 16,
    processes: int = 1,
    on_record: Callable[[int, int, TaskEvaluation], None] | None = None,
) -> EvaluationReport:
    """Generates answers chunk by chunk and sends each chunk's plans to the twin as one batch.

    `twin`: default a `TwinService(processes)` made (and shut down) here. `on_record(i, n, record)` is
    called per task, in order, as soon as its chunk is scored. Generation errors (an endpoint that
    fails) propagate: they are not the model's answers.
    """
    own_twin = twin is None
    service: Twin = TwinService(processes=processes) if twin is None else twin
    records: list[TaskEvaluation] = []
    try:
        for start in range(0, len(tasks), max(1, chunk_size)):
            chunk = tasks[start : start + max(1, chunk_size)]
            answers: list[tuple[str, float]] = []
            for task in chunk:
                began = time.perf_counter()
                text = await asyncio.to_thread(generate_fn, task)
                answers.append((text, time.perf_counter() - began))
            parsed = [parse_answer(text, task) for (text, _), task in zip(answers, chunk, strict=True)]
            plans = [p for p, _ in parsed if isinstance(p, Orchestration)]
            batch = await service.evaluate_batch(plans, fidelity, num_slots=num_slots, seed=seed) if plans else None
            items = iter(batch.items if batch is not None else [])
            for task, (text, seconds), (plan, ignored) in zip(chunk, answers, parsed, strict=True):
                item = next(items) if isinstance(plan, Orchestration) else None
                record = _record(task, text, seconds, plan, ignored, item, weights)
                records.append(record)
                if on_record is not None:
                    on_record(len(records), len(tasks), record)
    finally:
        if own_twin and isinstance(service, TwinService):
            service.shutdown()
    return EvaluationReport(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        generator=describe(generate_fn),
        fidelity=fidelity,
        weights={k: float(v) for k, v in asdict(weights).items()},
        summary=summarize(records),
        records=records,
    )


def evaluate(
    tasks: Sequence[Task],
    generate_fn: Callable[[Task], str],
    fidelity: Fidelity = "system",
    **options: Any,  # noqa: ANN401 - passed on to evaluate_async
) -> EvaluationReport:
    """`evaluate_async` for callers without an event loop (the CLI, tests)."""
    return asyncio.run(evaluate_async(tasks, generate_fn, fidelity, **options))


# --------------------------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------------------------


def progress_line(i: int, n: int, record: TaskEvaluation) -> str:
    head = f"[{i:>{len(str(n))}}/{n}] {record.task_id:<42}"
    if record.failure is not None:
        reason = re.sub(r"\s+", " ", record.failure.reason)
        return f"{head} {record.failure.stage}: {reason[:90]}  score {record.score:+.3f}"
    assert record.achieved is not None
    a, q = record.achieved, record.required
    verdict = "MET " if record.fulfilled else "miss"
    return (
        f"{head} thr {a.throughput_mbps:8.3g}/{q.min_throughput_mbps:<6g} Mbps  "
        f"delay {a.latency_ms:5.3g}/{q.max_delay_ms:<4g} ms  ber {a.ber:7.1e}/{q.max_ber:.0e}  "
        f"{verdict} score {record.score:+.3f}"
    )


def headline(summary: EvaluationSummary) -> str:
    avg = "n/a" if summary.average_score_completed is None else f"{summary.average_score_completed:.3f}"
    witness = "" if summary.mean_witness_reward is None else f"; grid-best reference {summary.mean_witness_reward:.3f}"
    return (
        f"task completion rate: {100 * summary.task_completion_rate:.1f} % ({summary.completed}/{summary.tasks})\n"
        f"average score of completed tasks: {avg}\n"
        f"mean reward over all tasks: {summary.mean_reward:+.3f}; parse failures {summary.parse_failures} "
        f"({100 * summary.parse_failure_rate:.1f} %), refused by the twin {summary.twin_refused}, "
        f"QoS missed {summary.violated}{witness}"
    )


def _slug(model: str) -> str:
    if model.startswith("hf:"):
        model = "hf-" + Path(model[3:]).name
    elif model.startswith("policy:"):
        model = "policy-" + "-".join(Path(model[len("policy:") :]).parts[-2:])
    return re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-")


def promoted_model(record: dict[str, Any]) -> tuple[str, str | None]:
    """What `--model promoted` evaluates, from data/models/promoted.json: (model, fallback).

    The served alias `sixg-llm` when the record has a GGUF that exists (the server serves that file),
    with the merged HF folder as fallback for an endpoint that does not list the alias; else
    `hf:<served_from>` and no fallback (records written before the GGUF export have no `gguf`).
    """
    hf = "hf:" + record["served_from"]
    gguf = record.get("gguf")
    if gguf and Path(gguf).is_file():
        return SIXG_MODEL_ID, hf
    return hf, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate a 6G-LLM on tasks: completion rate and average score.")
    parser.add_argument("--tasks", type=Path, required=True, help="task file (JSONL or JSON array)")
    parser.add_argument(
        "--model",
        required=True,
        help="a served model id, a baseline ('random' valid plans, the 'constant' plan chosen on training tasks, "
        "the hand 'rule', the 'lean-rule': the rule with its budget's leanest MCS, PRBs and LDPC iterations), "
        "'promoted', hf:<HF folder>, or policy:<HF folder or training checkpoint> "
        "(the training policy, greedy under the answer grammar)",
    )
    parser.add_argument(
        "--base-url",
        default=None,
        help="chat endpoint (default: $MAESTRO_SIXG_BASE_URL, $OPENAI_BASE_URL or the local model server, "
        "started if it does not answer)",
    )
    parser.add_argument("--out", type=Path, default=None, help="report (default results/sixg-eval-<model>.json)")
    parser.add_argument("--limit", type=int, default=None, help="evaluate the first N tasks only")
    parser.add_argument("--fidelity", choices=("system", "link"), default="system")
    parser.add_argument("--num-slots", type=int, default=20, help="slots per link-level evaluation")
    parser.add_argument("--seed", type=int, default=0, help="random baseline / sampling / link-level seed")
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument(
        "--prompt",
        choices=sorted(PROMPTS),
        default=None,
        help="a served model: the prompt to ask with (default: the one the server lists for the model; "
        "for a GGUF served by $MAESTRO_SIXG_GGUF outside the promotion record, name the one it was trained with)",
    )
    parser.add_argument("--json-mode", choices=("llama_cpp", "json_schema", "none"), default="llama_cpp")
    parser.add_argument(
        "--strict-ranges", action="store_true", help="constrain bounded integers as enums (llama.cpp ignores bounds)"
    )
    parser.add_argument("--processes", type=int, default=1, help="twin processes (0: evaluate in this process)")
    parser.add_argument(
        "--chunk-size", type=int, default=None, help="answers per twin batch (default 16 for random, 4 for a model)"
    )
    args = parser.parse_args(argv)

    tasks = load_tasks(args.tasks)
    if args.limit is not None:
        tasks = tasks[: args.limit]
    out = args.out or Path("results") / f"sixg-eval-{_slug(args.model)}.json"
    twin: Twin | None = InProcessTwin() if args.processes == 0 else None

    def show(i: int, n: int, record: TaskEvaluation) -> None:
        print(progress_line(i, n, record), flush=True)

    def run(generate_fn: Callable[[Task], str]) -> EvaluationReport:
        return evaluate(
            tasks,
            generate_fn,
            args.fidelity,
            twin=twin,
            num_slots=args.num_slots,
            seed=args.seed,
            chunk_size=args.chunk_size or (16 if args.model in ("random", "constant", "rule", "lean-rule") else 4),
            processes=max(1, args.processes),
            on_record=show,
        )

    fallback: str | None = None
    if args.model == "promoted":
        # The model the retraining pipeline promoted last (training.activities.promote_if_better): served as `sixg-llm`
        # when it was exported to GGUF, else (or if the endpoint does not list it) its merged HF folder.
        if not PROMOTED_FILE.is_file():
            parser.error(f"no promoted model yet ({PROMOTED_FILE}); run the retraining pipeline first")
        record = json.loads(PROMOTED_FILE.read_text())
        args.model, fallback = promoted_model(record)
    if args.model == "random":
        report = run(RandomPlanGenerator(args.seed))
    elif args.model == "constant":
        report = run(ConstantPlanGenerator())
    elif args.model == "rule":
        report = run(RulePlanGenerator())
    elif args.model == "lean-rule":
        report = run(LeanRulePlanGenerator())
    elif args.model.startswith("policy:"):
        report = run(PolicyGenerator(args.model[len("policy:") :], tasks, args.max_tokens, args.temperature, args.seed))
    elif args.model.startswith("hf:"):
        report = run(HFGenerator(args.model[3:], args.max_tokens, args.temperature, args.seed))
    else:
        served = True
        with model_endpoint(args.base_url) as base_url:
            # A server may answer a model name it does not serve with its default model (llama-cpp-python and
            # llama-server do), and the report would then measure that one under this name: check first.
            listed = served_models(base_url)
            if fallback is None and listed and args.model not in listed:
                folder = f"; a folder is evaluated as policy:{args.model}" if Path(args.model).is_dir() else ""
                parser.error(f"{base_url} does not serve {args.model} (it lists {', '.join(listed)}){folder}")
            served = fallback is None or args.model in listed
            if served:
                generator = OpenAIGenerator(
                    base_url,
                    args.model,
                    temperature=args.temperature,
                    max_tokens=args.max_tokens,
                    json_mode=args.json_mode,
                    seed=args.seed,
                    strict_ranges=args.strict_ranges,
                    prompt=args.prompt,
                )
                report = run(generator)
        if not served:
            assert fallback is not None
            print(f"[sixg] {base_url} does not serve {args.model}: evaluating {fallback}", file=sys.stderr)
            report = run(HFGenerator(fallback[3:], args.max_tokens, args.temperature, args.seed))
    report = report.model_copy(update={"tasks_file": str(args.tasks), "tasks_sha256": file_sha256(args.tasks)})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.model_dump_json(indent=2) + "\n")
    print(headline(report.summary))
    print(f"report: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
