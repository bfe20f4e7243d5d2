"""The SLA use case's figure, laid out like the MAESTRO paper's Fig. 5.

``python bench/usecase_sla_plot.py results/usecase-sla.json results/usecase-sla.png`` (run by
``npm run usecase:sla``). Top: the cell's achievable throughput (capacity at the reported CQI),
the enforced consensus and the delivered throughput over emulated time, with negotiations
shaded (blue while a consensus waits for the operator's approval), renegotiation points marked by
their trigger, reverts, A1 re-sends, approvals and twin checks that lowered the MCS as dotted
lines (a twin check that confirmed the plan as a green triangle), the cell's switched-off stretch
greyed and arbitral warnings annotated. Bottom: the CQI the RAN replayed.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def spans(rows: list[dict], predicate: Callable[[dict], bool]) -> list[tuple[float, float]]:
    """Contiguous [start, end] emulated-time spans where predicate(row) holds."""
    out: list[tuple[float, float]] = []
    start = None
    for row in rows:
        if predicate(row) and start is None:
            start = row["tS"]
        if not predicate(row) and start is not None:
            out.append((start, row["tS"]))
            start = None
    if start is not None:
        out.append((start, rows[-1]["tS"]))
    return out


def main(src: Path, dst: Path) -> None:
    data = json.loads(src.read_text())
    rows = data["timeline"]
    t = [r["tS"] for r in rows]
    fig, (ax, ax_cqi) = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]})

    for a, b in spans(rows, lambda r: r["negotiating"]):
        ax.axvspan(a, b, color="#f6e7a6", alpha=0.6, lw=0)
    for a, b in spans(rows, lambda r: r["phase"] == "awaiting_approval"):
        ax.axvspan(a, b, color="#c6dbef", alpha=0.7, lw=0)
    for a, b in spans(rows, lambda r: r["phase"] == "switched_off"):
        ax.axvspan(a, b, color="#bbbbbb", alpha=0.5, lw=0)
        ax.text((a + b) / 2, 2, "cell off\n(unanimous vote)", ha="center", va="bottom", fontsize=8)

    ax.plot(t, [r["capacityMbps"] for r in rows], color="#1f77b4", lw=1.2, label="achievable throughput")
    ax.step(
        t,
        [r["consensusMbps"] if r["consensusMbps"] is not None else float("nan") for r in rows],
        where="post",
        color="#d62728",
        lw=2,
        label="consensus (enforced)",
    )
    ax.plot(t, [r["deliveredMbps"] for r in rows], color="#2ca02c", lw=1.2, alpha=0.9, label="delivered throughput")

    top = max([r["capacityMbps"] for r in rows] + [1]) * 1.12
    for n in data["negotiations"]:
        ax.axvline(n["startedAtS"], color="#555555", ls="--", lw=0.8)
        label = n["trigger"].replace("_", " ")
        if n.get("valueMbps") is not None:
            label += f"\n→ {n['valueMbps']:.0f} Mbps"
        ax.text(n["startedAtS"] + 3, top * 0.97, label, fontsize=7.5, va="top")
        for party in n.get("warned", []):
            y = n["valueMbps"] or 0
            ax.annotate(
                f"warned: {party}",
                (n["finishedAtS"] or n["startedAtS"], y),
                xytext=(8, 18),
                textcoords="offset points",
                fontsize=7.5,
                color="#9467bd",
                arrowprops={"arrowstyle": "->", "color": "#9467bd"},
            )
    # The network plane's own events: a revert on degradation, A1 policies re-sent after a RIC restart,
    # an approved or rejected consensus.
    marks = {
        "reverted": ("revert", "#e377c2"),
        "a1_resynced": ("A1 re-sent", "#17becf"),
        "approved": ("approved", "#1f77b4"),
        "rejected": ("rejected", "#7f7f7f"),
    }
    for e in data.get("events", []):
        if e["kind"] == "twin_checked":  # every plan checked on the twin before enforcement
            capped = re.search(r"planned under MCS (\d+)", e["message"])
            confirmed = re.search(r"confirms MCS (\d+)", e["message"])
            if capped:  # held to a lower MCS than the CQI's
                ax.axvline(e["tS"], color="#bcbd22", ls=":", lw=1.2)
                label = f"twin: MCS ≤ {capped.group(1)}"
                ax.text(e["tS"] + 2, top * 0.3, label, fontsize=7, color="#bcbd22", rotation=90)
            elif confirmed:
                ax.plot(e["tS"], top * 0.03, marker="^", color="#2ca02c", ms=6, clip_on=False)
                ax.text(e["tS"] + 2, top * 0.05, f"twin ✓ MCS {confirmed.group(1)}", fontsize=6, color="#2ca02c")
        if e["kind"] in marks:
            text, color = marks[e["kind"]]
            ax.axvline(e["tS"], color=color, ls=":", lw=1.2)
            ax.text(e["tS"] + 2, top * 0.55, text, fontsize=7, color=color, rotation=90, va="bottom")
    for s in data.get("scripted", []):
        ax.annotate(s["what"], (s["tS"], 0), xytext=(0, -2), textcoords="offset points", fontsize=7, color="#8c564b")

    ax.set_ylim(0, top)
    ax.set_ylabel("throughput (Mbps)")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    ax.set_title(
        f"SLA use case on {Path(data['traceSource']).name}: {len(data['negotiations'])} negotiation(s), "
        f"×{data['speed']} time, model {data['model']}",
        fontsize=10,
    )
    ax_cqi.step(t, [r["cqi"] for r in rows], where="post", color="#444444", lw=1)
    ax_cqi.set_ylim(0, 15.5)
    ax_cqi.set_ylabel("CQI")
    ax_cqi.set_xlabel("time (s, emulated)")
    fig.tight_layout()
    fig.savefig(dst, dpi=130)
    print(f"wrote {dst}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
