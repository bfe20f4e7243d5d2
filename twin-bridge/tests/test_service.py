"""The evaluation service: process pool, cache by configuration, per-item errors in batches."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from twin_bridge.service import TwinService


def _plan(mcs: int, snr_db: float, **link: object) -> dict[str, object]:
    return {
        "link": {"mcs_index": mcs, "num_prbs": 24, "bandwidth_mhz": 10, **link},
        "scenario": {"snr_db": snr_db},
    }


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinService]:
    twin = TwinService(processes=1, cache_path=Path(tmp_path_factory.mktemp("cache")) / "twin.sqlite")
    yield twin
    twin.shutdown()


def test_system_batch_vectorised_with_errors_and_cache(service: TwinService) -> None:
    plans = [
        _plan(5, 1.0),
        _plan(15, 1.0),
        _plan(10, 5.0, num_layers=2),  # invalid: layers above antennas
        _plan(15, 20.0),
    ]
    progress: list[tuple[int, int]] = []
    first = asyncio.run(service.evaluate_batch(plans, "system", on_progress=lambda d, t: progress.append((d, t))))
    assert first.invalid == 1 and first.cache_hits == 0 and first.evaluated == 3
    assert first.items[2].error is not None and "num_layers 2 exceeds num_tx_antennas 1" in first.items[2].error
    bler = [i.result.bler if i.result else None for i in first.items]
    assert bler[0] is not None and bler[1] is not None and bler[3] is not None
    assert bler[0] < bler[1], "at 1 dB, MCS 15 fails more often than MCS 5"
    assert bler[3] < 0.01, "MCS 15 decodes at 20 dB"
    assert progress[-1] == (4, 4)

    second = asyncio.run(service.evaluate_batch(plans, "system"))
    assert second.cache_hits == 3 and second.evaluated == 0
    assert all(i.result is None or i.result.cache_hit for i in second.items)


def test_plan_the_abstraction_cannot_run_fails_alone(service: TwinService) -> None:
    """MCS 1 of table 1 has no BLER curve: that item errs, its batch neighbours are still evaluated."""
    report = asyncio.run(service.evaluate_batch([_plan(1, 5.0), _plan(9, 6.0)], "system"))
    assert report.items[0].error is not None and "no curve" in report.items[0].error
    assert report.items[1].result is not None


def test_link_level_result_is_cached_by_slots_and_seed(service: TwinService) -> None:
    plan = _plan(10, 25.0)
    a = asyncio.run(service.evaluate_batch([plan], "link", num_slots=2, seed=1)).items[0].result
    b = asyncio.run(service.evaluate_batch([plan], "link", num_slots=2, seed=1)).items[0].result
    c = asyncio.run(service.evaluate_batch([plan], "link", num_slots=2, seed=2)).items[0].result
    assert a is not None and b is not None and c is not None
    assert not a.cache_hit and b.cache_hit and not c.cache_hit
    assert a.bler == 0 and a.num_slots == 2
