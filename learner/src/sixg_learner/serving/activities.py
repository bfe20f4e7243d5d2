"""The serving queue's activity (task queue `sixg`, hosted by `sixg_learner.worker`): one orchestration request.

Runs beside the training queue, not behind it, so a request never waits for an hour-long training
step, and imports nothing of training: answering loads no torch.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from temporalio import activity

from sixg_learner.chat import default_base_url
from sixg_learner.errors import invalid_input
from sixg_learner.serving.orchestrate import DEFAULT_ATTEMPTS, choose_model, orchestrate
from sixg_learner.tasks.task import Task


class OrchestrateTaskInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: dict[str, Any]
    model: str | None = None
    attempts: int = Field(default=DEFAULT_ATTEMPTS, ge=1, le=5)
    candidates: int | None = Field(default=None, ge=1, le=8)
    """Valid plans the twin judges before answering; None: orchestrate.DEFAULT_CANDIDATES."""
    refine_moves: int | None = Field(default=None, ge=0, le=8)
    """Moves the twin may make to trim the chosen plan; 0: the model's plan as it is; None: the default."""


@activity.defn(name="orchestrate_task")
async def orchestrate_task(inp: OrchestrateTaskInput) -> dict[str, Any]:
    """The served 6G-LLM's orchestration for one task, validated and checked on the twin (orchestrate.py).

    Runs on the serving queue (`sixg`), beside the training queue, so a request is not queued
    behind an hour-long training step. The model server is the one the rest of maestro uses
    ($MAESTRO_SIXG_BASE_URL / $OPENAI_BASE_URL / the local default).
    """
    try:
        task = Task.model_validate({"id": "request", **inp.task})
    except ValueError as err:
        raise invalid_input(f"not a task: {err}") from err
    base_url = default_base_url()

    try:
        model = await asyncio.to_thread(choose_model, base_url, inp.model)
    except ValueError as err:
        raise invalid_input(str(err)) from err
    answer = await asyncio.to_thread(orchestrate, task, base_url, model, inp.attempts, inp.candidates, inp.refine_moves)
    return answer.model_dump(mode="json")


ACTIVITIES = [orchestrate_task]
"""What the worker registers on the serving queue (several at once: each mostly waits on the model server)."""
