"""`npm run bench:twin`: how fast the twin evaluates, and its BLER waterfall.

Measures evaluations per second at link level and at system level against the batch size and
the number of processes, and draws BLER versus SNR per MCS (link level as markers, system level
as lines) on AWGN. Writes results/twin-bench.json and results/twin-waterfall.png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .orchestration import Orchestration
from .service import Fidelity, TwinService

RESULTS = Path(__file__).resolve().parents[3] / "results"


def plan(mcs: int, snr_db: float, num_prbs: int = 24, bandwidth_mhz: int = 10) -> Orchestration:
    return Orchestration.model_validate(
        {
            "link": {"mcs_index": mcs, "num_prbs": num_prbs, "bandwidth_mhz": bandwidth_mhz},
            "scenario": {"snr_db": snr_db, "channel_model": "awgn"},
        }
    )


async def throughput(fidelity: Fidelity, processes: int, batch_size: int, slots: int) -> dict[str, Any]:
    """Evaluations per second for one batch of distinct plans (no cache hits), pool already warm."""
    service = TwinService(processes=processes)
    try:
        # Start the pool and load Sionna in every process (one warm-up plan per process, run concurrently).
        await service.evaluate_batch([plan(15, 30.0 + i).model_dump() for i in range(processes)], fidelity, slots)
        # Distinct plans (no cache hits) that both fidelities can run: MCS 15 across its waterfall and above.
        plans = [plan(15, 6.0 + 30.0 * i / batch_size).model_dump() for i in range(batch_size)]
        started = time.perf_counter()
        report = await service.evaluate_batch(plans, fidelity, num_slots=slots)
        elapsed = time.perf_counter() - started
    finally:
        service.shutdown()
    return {
        "fidelity": fidelity,
        "processes": processes,
        "batch_size": batch_size,
        "slots_per_evaluation": slots if fidelity == "link" else 0,
        "evaluations_per_s": round(batch_size / elapsed, 3),
        "elapsed_s": round(elapsed, 3),
        "cache_hits": report.cache_hits,
    }


async def waterfall(mcs_list: list[int], snrs: list[float], slots: int, processes: int) -> list[dict[str, Any]]:
    service = TwinService(processes=processes)
    rows: list[dict[str, Any]] = []
    try:
        for fidelity in ("system", "link"):
            plans = [plan(m, s).model_dump() for m in mcs_list for s in snrs]
            report = await service.evaluate_batch(plans, fidelity, num_slots=slots)
            for item, raw in zip(report.items, plans, strict=True):
                row = {"fidelity": fidelity, "mcs_index": raw["link"]["mcs_index"], "snr_db": raw["scenario"]["snr_db"]}
                if item.result is None:
                    # Plans a fidelity cannot run (e.g. LDPC rates Sionna cannot encode) are kept with the reason.
                    rows.append({**row, "error": item.error})
                    continue
                rows.append({**row, "bler": item.result.bler, "throughput_mbps": item.result.throughput_mbps})
            print(f"waterfall {fidelity}: {len(plans)} points in {report.elapsed_s:.1f} s", flush=True)
    finally:
        service.shutdown()
    return rows


def plot_waterfall(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for mcs in sorted({r["mcs_index"] for r in rows}):
        color = None
        for fidelity, style in (("system", "-"), ("link", "o")):
            pts = sorted(
                (r["snr_db"], max(r["bler"], 1e-4)) for r in rows if r["mcs_index"] == mcs and r["fidelity"] == fidelity
            )
            (line,) = ax.semilogy(
                [p[0] for p in pts],
                [p[1] for p in pts],
                style,
                color=color,
                label=f"MCS {mcs}" if fidelity == "system" else None,
                markersize=4,
            )
            color = line.get_color()
    ax.set_xlabel("SNR per RE (dB)")
    ax.set_ylabel("BLER (floor 1e-4 shown)")
    ax.set_title("Twin waterfall, PUSCH on AWGN, 24 PRB, 1 layer, LS: link level (o) vs system level (—)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(ncol=2, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slots", type=int, default=10, help="slots per link-level evaluation")
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--link-batches", default="4,8")
    parser.add_argument("--system-batches", default="32,128")
    parser.add_argument("--mcs", default="3,7,11,15,19,23,27")
    parser.add_argument("--snr", default=",".join(str(s) for s in range(-4, 25, 2)))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    processes = [int(p) for p in args.processes.split(",")]

    runs: list[dict[str, Any]] = []
    for fidelity, batches in (("system", args.system_batches), ("link", args.link_batches)):
        for p in processes:
            for b in (int(x) for x in batches.split(",")):
                row = asyncio.run(throughput(fidelity, p, b, args.slots))
                runs.append(row)
                print(
                    f"{fidelity:6s} processes={p} batch={b:4d}: {row['evaluations_per_s']:8.2f} evaluations/s",
                    flush=True,
                )
    rows = asyncio.run(
        waterfall(
            [int(m) for m in args.mcs.split(",")], [float(s) for s in args.snr.split(",")], args.slots, max(processes)
        )
    )
    args.out.mkdir(parents=True, exist_ok=True)
    figure = args.out / "twin-waterfall.png"
    plot_waterfall(rows, figure)
    report = {
        "benchmark": "twin",
        "command": "npm run bench:twin",
        "date": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine()},
        "throughput": runs,
        "waterfall": rows,
        "figure": str(figure.relative_to(args.out.parent)),
    }
    (args.out / "twin-bench.json").write_text(json.dumps(report, indent=2))
    print(f"written to {args.out / 'twin-bench.json'} and {figure}")


if __name__ == "__main__":
    main()
