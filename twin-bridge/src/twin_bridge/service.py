"""Evaluations behind a cache and a pool of processes.

Sionna on the CPU is single-request bound, so parallelism comes from processes (the RLDTF paper's
"process-level parallelism"), each with its own torch threads. Plans are shipped to the workers as
JSON and results come back as JSON, so nothing torch-related crosses a process boundary.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from .cache import ResultCache
from .orchestration import Orchestration, TwinResult

Fidelity = Literal["link", "system"]


def _init_process(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def evaluate_now(plan_json: str, fidelity: Fidelity, num_slots: int, seed: int) -> str:
    """Runs one evaluation in this process (the pool's task; also used directly by the CLI)."""
    plan = Orchestration.model_validate_json(plan_json)
    if fidelity == "link":
        from .linklevel import evaluate_link_level

        result = evaluate_link_level(plan, num_slots=num_slots, seed=seed)
    else:
        from .systemlevel import evaluate_system_level

        result = evaluate_system_level(plan)
    return result.model_dump_json()


def evaluate_system_chunk_now(plans_json: list[str]) -> list[str]:
    """System-level evaluation of many plans in one vectorised PHYAbstraction call (a pool task)."""
    from .systemlevel import evaluate_system_level_batch

    plans = [Orchestration.model_validate_json(p) for p in plans_json]
    return [r.model_dump_json() for r in evaluate_system_level_batch(plans)]


def parse_plan(raw: object) -> Orchestration:
    """Validates a plan; raises ValueError naming every problem."""
    try:
        return Orchestration.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'plan'}: {e['msg']}" for e in err.errors())
        raise ValueError(f"invalid orchestration: {problems}") from None


@dataclass
class BatchItem:
    index: int
    result: TwinResult | None = None
    error: str | None = None


@dataclass
class BatchReport:
    items: list[BatchItem] = field(default_factory=list)
    evaluated: int = 0
    cache_hits: int = 0
    invalid: int = 0
    elapsed_s: float = 0.0


class TwinService:
    def __init__(self, processes: int = 1, cache_path: Path | None = None) -> None:
        self.processes = max(1, processes)
        self.cache = ResultCache(cache_path)
        self._pool: Executor | None = None

    def _executor(self) -> Executor:
        if self._pool is None:
            threads = max(1, (os.cpu_count() or 1) // self.processes)
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_process,
                initargs=(threads,),
            )
        return self._pool

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    @staticmethod
    def cache_key(plan: Orchestration, fidelity: Fidelity, num_slots: int, seed: int) -> str:
        how = f"{fidelity}" if fidelity == "system" else f"{fidelity}:{num_slots}:{seed}"
        return f"{plan.cache_key()}:{how}"

    async def evaluate(self, plan: Orchestration, fidelity: Fidelity, num_slots: int = 20, seed: int = 0) -> TwinResult:
        key = self.cache_key(plan, fidelity, num_slots, seed)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        loop = asyncio.get_running_loop()
        raw = await loop.run_in_executor(
            self._executor(), evaluate_now, plan.model_dump_json(), fidelity, num_slots, seed
        )
        result = TwinResult.model_validate_json(raw)
        self.cache.put(key, result)
        return result

    async def evaluate_batch(
        self,
        raw_plans: Sequence[object],
        fidelity: Fidelity,
        num_slots: int = 20,
        seed: int = 0,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> BatchReport:
        """Evaluates many plans across the pool; invalid plans become error items, the rest go on."""
        started = time.perf_counter()
        report = BatchReport(items=[BatchItem(index=i) for i in range(len(raw_plans))])
        hits_before = self.cache.stats.hits
        done = 0

        async def one(item: BatchItem, raw: object) -> None:
            nonlocal done
            try:
                item.result = await self.evaluate(parse_plan(raw), fidelity, num_slots, seed)
            except ValueError as err:
                item.error = str(err)
                report.invalid += 1
            done += 1
            if on_progress is not None:
                on_progress(done, len(raw_plans))

        if fidelity == "system":
            await self._system_batch(report, raw_plans, on_progress)
        else:
            await asyncio.gather(*(one(item, raw) for item, raw in zip(report.items, raw_plans, strict=True)))
        report.cache_hits = self.cache.stats.hits - hits_before
        report.evaluated = len(raw_plans) - report.invalid - report.cache_hits
        report.elapsed_s = time.perf_counter() - started
        return report

    async def _system_batch(
        self, report: BatchReport, raw_plans: Sequence[object], on_progress: Callable[[int, int], None] | None
    ) -> None:
        """System level is vectorised: cache misses go to the pool in one chunk per process, not one task per plan."""
        misses: list[tuple[BatchItem, Orchestration, str]] = []
        for item, raw in zip(report.items, raw_plans, strict=True):
            try:
                plan = parse_plan(raw)
            except ValueError as err:
                item.error = str(err)
                report.invalid += 1
                continue
            key = self.cache_key(plan, "system", 0, 0)
            cached = self.cache.get(key)
            if cached is not None:
                item.result = cached
            else:
                misses.append((item, plan, key))
        loop = asyncio.get_running_loop()
        chunk_size = max(1, -(-len(misses) // self.processes))
        chunks = [misses[i : i + chunk_size] for i in range(0, len(misses), chunk_size)]
        done = len(raw_plans) - len(misses)

        async def run_chunk(chunk: list[tuple[BatchItem, Orchestration, str]]) -> None:
            nonlocal done
            try:
                raws = await loop.run_in_executor(
                    self._executor(), evaluate_system_chunk_now, [plan.model_dump_json() for _, plan, _ in chunk]
                )
            except ValueError:
                # One plan the abstraction cannot run spoils the vectorised call: evaluate the chunk one by one.
                for item, plan, _ in chunk:
                    try:
                        item.result = await self.evaluate(plan, "system")
                    except ValueError as err:
                        item.error = str(err)
                        report.invalid += 1
            else:
                for (item, _, key), raw in zip(chunk, raws, strict=True):
                    item.result = TwinResult.model_validate_json(raw)
                    self.cache.put(key, item.result)
            done += len(chunk)
            if on_progress is not None:
                on_progress(done, len(raw_plans))

        await asyncio.gather(*(run_chunk(c) for c in chunks))
