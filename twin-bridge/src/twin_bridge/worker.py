"""The twin's Temporal worker: task queue `twin`, activities named explicitly, one input object each.

    python -m twin_bridge.worker --address 127.0.0.1:7233 --namespace maestro --task-queue twin

Invalid plans fail the activity with a non-retryable `InvalidOrchestration` error (the caller
sees the message; the worker keeps serving). Batch evaluations heartbeat their progress.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from temporalio import activity
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from .orchestration import TwinResult
from .service import Fidelity, TwinService, parse_plan


class LinkLevelInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    orchestration: dict[str, Any]
    num_slots: int = Field(default=20, ge=1, le=2000)
    seed: int = 0


class SystemLevelInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    orchestration: dict[str, Any]


class BatchInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    orchestrations: list[dict[str, Any]] = Field(max_length=10_000)
    fidelity: Literal["link", "system"] = "system"
    num_slots: int = Field(default=20, ge=1, le=2000)
    seed: int = 0


class BatchItemOutput(BaseModel):
    index: int
    result: TwinResult | None
    error: str | None


class BatchOutput(BaseModel):
    items: list[BatchItemOutput]
    evaluated: int
    cache_hits: int
    invalid: int
    elapsed_s: float


class TwinActivities:
    def __init__(self, service: TwinService) -> None:
        self.service = service

    @staticmethod
    def _plan(raw: dict[str, Any]) -> Any:  # noqa: ANN401 - returns Orchestration; Any keeps the raise path simple
        try:
            return parse_plan(raw)
        except ValueError as err:
            raise ApplicationError(str(err), type="InvalidOrchestration", non_retryable=True) from None

    async def _evaluate(
        self, raw: dict[str, Any], fidelity: Fidelity, num_slots: int = 20, seed: int = 0
    ) -> TwinResult:
        plan = self._plan(raw)
        try:
            return await self.service.evaluate(plan, fidelity, num_slots, seed)
        except ValueError as err:
            # A valid plan this evaluator cannot run (e.g. an LDPC rate Sionna cannot encode): retrying won't help.
            raise ApplicationError(str(err), type="InvalidOrchestration", non_retryable=True) from None

    @activity.defn(name="evaluate_link_level")
    async def evaluate_link_level(self, request: LinkLevelInput) -> TwinResult:
        return await self._evaluate(request.orchestration, "link", request.num_slots, request.seed)

    @activity.defn(name="evaluate_system_level")
    async def evaluate_system_level(self, request: SystemLevelInput) -> TwinResult:
        return await self._evaluate(request.orchestration, "system")

    @activity.defn(name="evaluate_batch")
    async def evaluate_batch(self, request: BatchInput) -> BatchOutput:
        def progress(done: int, total: int) -> None:
            activity.heartbeat({"done": done, "total": total})

        report = await self.service.evaluate_batch(
            request.orchestrations, request.fidelity, request.num_slots, request.seed, on_progress=progress
        )
        return BatchOutput(
            items=[BatchItemOutput(index=i.index, result=i.result, error=i.error) for i in report.items],
            evaluated=report.evaluated,
            cache_hits=report.cache_hits,
            invalid=report.invalid,
            elapsed_s=report.elapsed_s,
        )


async def run(address: str, namespace: str, task_queue: str, processes: int, cache_path: Path | None) -> None:
    client = await Client.connect(address, namespace=namespace, data_converter=pydantic_data_converter)
    service = TwinService(processes=processes, cache_path=cache_path)
    activities = TwinActivities(service)
    worker = Worker(
        client,
        task_queue=task_queue,
        activities=[activities.evaluate_link_level, activities.evaluate_system_level, activities.evaluate_batch],
        max_concurrent_activities=max(2, processes * 2),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(
        f"[twin] worker polling {task_queue} on {address} (namespace {namespace}), {processes} process(es)", flush=True
    )
    async with worker:
        await stop.wait()
    service.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description="maestro's digital-twin Temporal worker")
    parser.add_argument("--address", default=os.environ.get("TEMPORAL_ADDRESS", "127.0.0.1:7233"))
    parser.add_argument("--namespace", default=os.environ.get("TEMPORAL_NAMESPACE", "maestro"))
    parser.add_argument("--task-queue", default="twin")
    parser.add_argument("--processes", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    parser.add_argument("--cache", type=Path, default=None, help="SQLite file for cached results (default: memory)")
    args = parser.parse_args()
    asyncio.run(run(args.address, args.namespace, args.task_queue, args.processes, args.cache))
    # The worker has drained and the pool is shut down; every cached result was committed as it was
    # written. Interpreter finalization would now run with TensorFlow's and the Temporal core's native
    # threads still alive, and one of them releases the GIL from a dead thread state ("Fatal Python
    # error: PyGILState_Release" at every Ctrl-C of `npm start`). Nothing is left to finalize: leave.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
