"""The served 6G-LLM answering one orchestration request: what the network plane asks it (issue #7, serving).

A task (description, QoS needs, radio conditions) goes to the model the OpenAI-compatible server
serves — `sixg-llm`, the promoted model exported to GGUF, when the server lists it, else the base
SmolLM2 — with the one-shot prompt of training (`prompting.build_messages`) and the answer schema as
the decoding constraint (integer ranges as enums: llama.cpp's grammar ignores bounds). The answer is
validated as training validates it (`prompting.parse_orchestration`: the link in the task's scenario,
schema and cross-field rules); an invalid answer is retried (attempt 1 greedy, later attempts
sampled at temperature 0.7 with their own seed), up to `attempts`. A valid plan then goes to the twin
at system level, and the reply says what it achieves, whether that meets the QoS and its eq. (2)
score. When no attempt gives a valid plan, the reply says so with every attempt's reason: the
caller decides what to fall back on; nothing is invented here.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from twin_bridge.orchestration import Orchestration

from .chat import SIXG_MODEL_ID, served_models
from .evaluate import OpenAIGenerator
from .prompting import parse_orchestration
from .reward import judge
from .tasks import Task, system_level_evaluator

BASE_MODEL_ID = "smollm2-135m-instruct"
RETRY_TEMPERATURE = 0.7


class Attempt(BaseModel):
    text: str
    valid: bool
    reason: str | None


class OrchestrationAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str
    attempts: list[Attempt]
    orchestration: dict[str, Any] | None = None
    twin: dict[str, Any] | None = None
    achieved: dict[str, float] | None = None
    fulfilled: bool = False
    score: float | None = None
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
    return SIXG_MODEL_ID if SIXG_MODEL_ID in served else BASE_MODEL_ID


def orchestrate(task: Task, base_url: str, model: str, attempts: int = 3) -> OrchestrationAnswer:
    """Asks `model` for `task`'s link until a valid plan comes (at most `attempts`), then the twin's verdict."""
    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, got {attempts}")
    started = time.perf_counter()
    tried: list[Attempt] = []
    plan: Orchestration | None = None
    for i in range(attempts):
        generate = OpenAIGenerator(
            base_url,
            model,
            temperature=0.0 if i == 0 else RETRY_TEMPERATURE,
            seed=i,
            strict_ranges=True,
            timeout_s=120.0,
        )
        text = generate(task)
        parsed = parse_orchestration(text, task)
        if isinstance(parsed, Orchestration):
            tried.append(Attempt(text=text, valid=True, reason=None))
            plan = parsed
            break
        tried.append(Attempt(text=text, valid=False, reason=f"{parsed.stage}: {parsed.reason}"))
    answer = OrchestrationAnswer(model=model, attempts=tried, seconds=0.0)
    if plan is not None:
        answer.orchestration = plan.model_dump(mode="json")
        (result,) = system_level_evaluator([plan])
        if result is None:
            tried[-1] = Attempt(text=tried[-1].text, valid=False, reason="the twin cannot run this plan")
        else:
            verdict = judge(result, plan, task.requirement())
            achieved = verdict.achieved
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
