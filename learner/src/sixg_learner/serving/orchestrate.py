"""The served 6G-LLM answering one orchestration request: what the network plane asks it (issue #7, serving).

A task (description, QoS needs, radio conditions) goes to the model the OpenAI-compatible server
serves — `sixg-llm`, the promoted model exported to GGUF, when the server lists it, else the base
SmolLM2 — with the prompt it was trained with (`prompting.build_messages`; the server lists it with
the model) and the answer schema as the decoding constraint (integer ranges as enums: llama.cpp's
grammar ignores bounds). The answer is validated as training validates it
(`prompting.parse_orchestration`: the link in the task's scenario, schema and cross-field rules); an
invalid answer is retried, up to `attempts` in a row. A valid plan goes to the twin at system level.

The twin decides before the caller does: up to `candidates` valid plans are judged (the first
greedy, the others sampled at `POLICY_TEMPERATURE`, the policy's own distribution π_c, seed = draw index),
and the first that meets the QoS is the answer, else the best-scoring one. Every judged plan is in
the reply. The reply says what the answer achieves, whether that meets the QoS and its eq. (2)
score. When no draw gives a valid plan, the reply says so with every attempt's reason: the caller
decides what to fall back on; nothing is invented here.

Then the twin trims the chosen plan (`refine_moves`, default 8): when it meets the QoS, up to that many
steepest-ascent moves of `repair.climb` (one edit group a move: fewer LDPC iterations, a higher MCS,
fewer PRBs, …), each kept only if the plan still meets the QoS at the task's SNR lowered by
`REFINE_MARGIN_DB`, so the leaner plan is not on the edge of failing. This is search at serving time,
not learning: the reply keeps the model's own plan and score in `refined`, and docs/RLDTF.md reports
the model's figures apart from the refined ones. `refine_moves = 0` answers with the model's plan.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from twin_bridge.orchestration import Orchestration, TwinResult

from sixg_learner.chat import LOCAL_MODEL_ID, SIXG_MODEL_ID, served_models
from sixg_learner.generation.served import POLICY_TEMPERATURE, OpenAIGenerator, listed_prompt
from sixg_learner.tasks.generate import witness_of
from sixg_learner.tasks.prompting import parse_orchestration
from sixg_learner.tasks.repair import climb
from sixg_learner.tasks.reward import Verdict, judge
from sixg_learner.tasks.scoring import system_level_evaluator
from sixg_learner.tasks.task import Task

DEFAULT_ATTEMPTS = 3
"""Invalid answers in a row before giving up (the one default; the activity input takes it from here)."""
DEFAULT_CANDIDATES = 4
"""Plans judged on the twin before answering (the one default; the API and workflow pass null for it)."""
DEFAULT_REFINE_MOVES = 8
"""Moves the twin may make to trim the chosen plan (the one default; the API and workflow pass null for it).
A cap, not a count: on the 60 dev tasks the climb stopped at a local optimum after 1.9 moves on average, and
8 moves scored 0.641 against 2 moves' 0.625 at the same median latency (docs/RLDTF.md, session 20)."""
REFINE_MARGIN_DB = 1.0
"""Each trimming move must still meet the QoS this far below the task's SNR."""


class Attempt(BaseModel):
    text: str
    valid: bool
    reason: str | None


class Candidate(BaseModel):
    """A valid plan the twin judged."""

    orchestration: dict[str, Any]
    fulfilled: bool
    score: float | None


class Refinement(BaseModel):
    """How the twin trimmed the chosen plan; the model's own plan and its score, kept."""

    model_orchestration: dict[str, Any]
    model_score: float
    moves: int = Field(ge=0, description="moves made; 0: no leaner plan holds the QoS with the margin")
    changed: list[str] = Field(description="the edit groups in which the answer differs from the model's plan")
    margin_db: float


class OrchestrationAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str
    attempts: list[Attempt]
    candidates: list[Candidate] = Field(default_factory=list)
    orchestration: dict[str, Any] | None = None
    twin: dict[str, Any] | None = None
    achieved: dict[str, float] | None = None
    fulfilled: bool = False
    score: float | None = None
    refined: Refinement | None = None
    """Set when the twin was asked to trim a plan that meets the QoS (module docstring)."""
    seconds: float = Field(ge=0)


def choose_model(base_url: str, requested: str | None) -> str:
    """The requested model, else `sixg-llm` when the server lists it, else the base model.

    A requested model the server does not list is refused (ValueError): llama-cpp-python would answer
    an unknown name with its default model, and the reply would name a model that never answered.
    """
    served = served_models(base_url)
    if requested:
        if requested not in served:
            raise ValueError(f"the model server at {base_url} does not serve {requested!r} (it serves {served})")
        return requested
    return SIXG_MODEL_ID if SIXG_MODEL_ID in served else LOCAL_MODEL_ID


def orchestrate(
    task: Task,
    base_url: str,
    model: str,
    attempts: int = DEFAULT_ATTEMPTS,
    candidates: int | None = None,
    refine_moves: int | None = None,
) -> OrchestrationAnswer:
    """Asks `model` for `task`'s link, has the twin judge up to `candidates` valid plans and trim the chosen one
    by up to `refine_moves` moves (module docstring)."""
    wanted = DEFAULT_CANDIDATES if candidates is None else candidates
    moves = DEFAULT_REFINE_MOVES if refine_moves is None else refine_moves
    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, got {attempts}")
    if wanted < 1:
        raise ValueError(f"candidates must be >= 1, got {wanted}")
    if moves < 0:
        raise ValueError(f"refine_moves must be >= 0, got {moves}")
    started = time.perf_counter()
    tried: list[Attempt] = []
    judged: list[tuple[Candidate, Orchestration, Any, Any]] = []
    invalid_in_a_row = 0
    draw = 0
    # asked once: every draw of one request uses the same prompt, even if the server is re-promoted meanwhile
    prompt = listed_prompt(base_url, model)
    while len(judged) < wanted and invalid_in_a_row < attempts:
        generate = OpenAIGenerator(
            base_url,
            model,
            temperature=0.0 if draw == 0 else POLICY_TEMPERATURE,  # greedy first, then the policy's own π
            seed=draw,
            strict_ranges=True,
            timeout_s=120.0,
            prompt=prompt,
        )
        draw += 1
        text = generate(task)
        parsed = parse_orchestration(text, task)
        if not isinstance(parsed, Orchestration):
            tried.append(Attempt(text=text, valid=False, reason=f"{parsed.stage}: {parsed.reason}"))
            invalid_in_a_row += 1
            continue
        (result,) = system_level_evaluator([parsed])
        if result is None:
            tried.append(Attempt(text=text, valid=False, reason="the twin cannot run this plan"))
            invalid_in_a_row += 1
            continue
        invalid_in_a_row = 0
        tried.append(Attempt(text=text, valid=True, reason=None))
        verdict = judge(result, parsed, task.requirement())
        plan_json = parsed.model_dump(mode="json")
        judged.append(
            (
                Candidate(orchestration=plan_json, fulfilled=verdict.satisfied, score=verdict.reward),
                parsed,
                result,
                verdict,
            )
        )
        if verdict.satisfied:
            break
    answer = OrchestrationAnswer(model=model, attempts=tried, candidates=[c for c, *_ in judged], seconds=0.0)
    if judged:
        # The first that meets the QoS (the loop stopped there), else the best eq. (2) score.
        _, plan, result, verdict = max(judged, key=lambda j: (j[3].satisfied, j[3].reward))
        if verdict.satisfied and moves > 0:
            plan, result, verdict, answer.refined = _refine(task, plan, result, verdict, moves)
        achieved = verdict.achieved
        answer.orchestration = plan.model_dump(mode="json")
        answer.twin = result.model_dump(mode="json")
        answer.achieved = {
            "throughput_mbps": achieved.throughput_mbps,
            "latency_ms": achieved.latency_ms,
            "ber": achieved.ber,
        }
        answer.fulfilled = verdict.satisfied
        answer.score = verdict.reward
    answer.seconds = time.perf_counter() - started
    return answer


def _refine(
    task: Task, plan: Orchestration, result: TwinResult, verdict: Verdict, moves: int
) -> tuple[Orchestration, TwinResult, Verdict, Refinement]:
    """The chosen plan after up to `moves` trimming moves on the twin, with its result and verdict, and the record."""
    trimmed = climb(task, witness_of(plan, result, verdict), max_moves=moves, margin_db=REFINE_MARGIN_DB)
    record = Refinement(
        model_orchestration=plan.model_dump(mode="json"),
        model_score=verdict.reward,
        moves=trimmed.moves,
        changed=list(trimmed.changed),
        margin_db=REFINE_MARGIN_DB,
    )
    if trimmed.moves == 0:
        return plan, result, verdict, record
    leaner = Orchestration(link=trimmed.witness.link, scenario=plan.scenario)
    (leaner_result,) = system_level_evaluator([leaner])
    leaner_verdict = judge(leaner_result, leaner, task.requirement()) if leaner_result is not None else None
    if leaner_result is None or leaner_verdict is None or not leaner_verdict.satisfied:
        raise RuntimeError("the twin judged a climbed plan differently the second time")  # climb checked it
    return leaner, leaner_result, leaner_verdict, record
