"""The learner's Temporal worker: one process, two task queues.

    python -m sixg_learner.worker --address 127.0.0.1:7233 --namespace maestro --task-queue learner
    python -m sixg_learner.worker … --serving-task-queue sixg     # also answer orchestration requests

- `learner`: the training workflows' activities (`training/activities.py`), one at a time; each runs
  a training step, an evaluation or an export as a child process;
- `sixg` (optional): orchestration requests to the served 6G-LLM (`serving/activities.py`), several
  at once, so a request is never queued behind a training step.

This module only composes the two; the activities' inputs and outputs are the TypeScript contract
(`contract.py`, `activities.schema.json`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from sixg_learner.serving import activities as serving_activities
from sixg_learner.training import activities as training_activities


async def serve(address: str, namespace: str, task_queue: str, serving_task_queue: str | None = None) -> None:
    client = await Client.connect(address, namespace=namespace, data_converter=pydantic_data_converter)
    worker = Worker(
        client,
        task_queue=task_queue,
        activities=training_activities.ACTIVITIES,
        max_concurrent_activities=1,  # one training step at a time: it takes the machine's cores
    )
    serving = (
        Worker(
            client,
            task_queue=serving_task_queue,
            activities=serving_activities.ACTIVITIES,
            max_concurrent_activities=4,
        )
        if serving_task_queue
        else None
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"[learner] polling {task_queue} on {address} (namespace {namespace}), pid {os.getpid()}", flush=True)
    async with worker:
        if serving is None:
            await stop.wait()
        else:
            print(f"[learner] serving orchestration requests on {serving_task_queue}", flush=True)
            async with serving:
                await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The learner's Temporal worker (task queue `learner`).")
    parser.add_argument("--address", default="127.0.0.1:7233")
    parser.add_argument("--namespace", default="maestro")
    parser.add_argument("--task-queue", default="learner")
    parser.add_argument(
        "--serving-task-queue", default=None, help="also answer orchestration requests on this queue (e.g. sixg)"
    )
    args = parser.parse_args(argv)
    asyncio.run(serve(args.address, args.namespace, args.task_queue, args.serving_task_queue))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
