"""Figures of the MAESTRO evaluation from the benchmark results (``npm run bench:plots``).

Reads results/personalities.json, results/optimizers.json, results/complexity.json and
results/serving.json and the trained negotiator's runs (whichever exist) and writes
results/fig3a-personalities.png (and results/fig3a-negotiator.png, results/fig3a-persona.png and
results/fig3a-negotiator-persona.png for the trained negotiator's, the persona teacher's and the shipped
persona negotiator's runs, and results/fig3a-negotiator-weighted3.png for the default negotiator of session
24), results/fig3b-optimizers.png (and results/fig3b-negotiator.png, results/fig3b-negotiator-weighted3.png),
results/complexity.png (the paper's Fig. 3a and 3b layouts, with our figures), results/serving.png and
results/negotiator.png.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

RESULTS = Path(__file__).resolve().parent.parent / "results"


def load(name: str) -> dict | None:
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else None


# Fig. 3a of the MAESTRO paper (GPT-4o, 50 games a pair): the mean outcome its text states per pair
PAPER_FIG3A_MBPS = {"N-N": 55, "A-D": 64, "V-D": 72, "V-T": 100, "N-T": 83, "D-T": 51, "D-D": 54.5}


def personalities(data: dict, out: str = "fig3a-personalities.png") -> None:
    pairs = data["pairs"]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    positions = []
    for i, pair in enumerate(pairs):
        cost = [f["cost"] for f in pair["finals"]]
        qos = [f["qos"] for f in pair["finals"]]
        boxes = ax.boxplot(
            [cost, qos], positions=[3 * i, 3 * i + 1], widths=0.8, patch_artist=True, medianprops={"color": "black"}
        )
        for patch, colour in zip(boxes["boxes"], ["#4c72b0", "#dd8452"], strict=True):
            patch.set_facecolor(colour)
        positions.append(3 * i + 0.5)
        ax.text(3 * i + 0.5, 101, f"{round(100 * pair['agreementRate'])}%", ha="center", fontsize=8)
        if pair["pair"] in PAPER_FIG3A_MBPS:
            ax.plot(3 * i + 0.5, PAPER_FIG3A_MBPS[pair["pair"]], marker="D", color="#55a868", linestyle="none",
                    label="paper (GPT-4o), mean" if i == 0 else None)  # fmt: skip
    ax.axhline(data["setup"]["fairMbps"], color="grey", linestyle="--", linewidth=1, label="fair middle ground")
    ax.set_xticks(positions, [p["pair"] for p in pairs])
    ax.set_ylim(-2, 106)
    ax.set_ylabel("final value (Mbps)")
    ax.set_xlabel("personality pair (cost agent – QoS agent); % = games that reached agreement")
    ax.set_title(f"Personality games, {data['model']}: cost agent (blue) and QoS agent (orange)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(RESULTS / out, dpi=130)


def optimizers(data: dict, out: str = "fig3b-optimizers.png") -> None:
    cells = data["cells"]
    sizes = sorted({c["agents"] for c in cells})
    designs = [d for d in ["off", "soft", "hard"] if any(c["design"] == d for c in cells)]
    labels = {"off": "standalone LLM", "soft": "soft optimizer", "hard": "hard optimizer"}
    fig, (mae_ax, time_ax) = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / len(designs)
    for j, design in enumerate(designs):
        mine = {c["agents"]: c for c in cells if c["design"] == design}
        xs = [i + j * width for i in range(len(sizes))]
        mae_ax.bar(
            xs,
            [mine[s]["maeMbps"] for s in sizes],
            width,
            yerr=[mine[s]["sdMbps"] for s in sizes],
            capsize=3,
            label=labels[design],
        )
        time_ax.bar(xs, [mine[s]["meanSeconds"] for s in sizes], width, label=labels[design])
    for ax in (mae_ax, time_ax):
        ax.set_xticks([i + width * (len(designs) - 1) / 2 for i in range(len(sizes))], [f"{s} agents" for s in sizes])
    mae_ax.set_ylabel("|outcome − optimum| (Mbps), mean ± sd")
    time_ax.set_ylabel("negotiation wall time (s), mean")
    mae_ax.legend(fontsize=8)
    fig.suptitle(f"Designs compared, {data['model']}, ≤ 4 rounds")
    fig.tight_layout()
    fig.savefig(RESULTS / out, dpi=130)


def complexity(data: dict) -> None:
    cells = data["cells"]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for design in sorted({c["design"] for c in cells}):
        mine = sorted((c for c in cells if c["design"] == design), key=lambda c: c["agents"])
        n = [c["agents"] for c in mine]
        axes[0].plot(n, [c["messagesPerRound"] for c in mine], marker="o", label=design)
        axes[1].plot(n, [c["roundsToConsensus"] or float("nan") for c in mine], marker="o", label=design)
        axes[2].plot(n, [c["secondsToConsensus"] or float("nan") for c in mine], marker="o", label=design)
    axes[0].plot(n, [2 * x for x in n], color="grey", linestyle=":", label="2n")
    axes[0].set_ylabel("messages per round")
    axes[1].set_ylabel("rounds to consensus")
    axes[2].set_ylabel("seconds to consensus")
    for ax in axes:
        ax.set_xlabel("agents n")
        ax.legend(fontsize=8)
    fig.suptitle(f"Complexity against the number of agents, {data['model']}")
    fig.tight_layout()
    fig.savefig(RESULTS / "complexity.png", dpi=130)


def serving(data: dict) -> None:
    """Round time, aggregate tokens/s and p95 latency against concurrent agent turns, one line per backend."""
    rows = data["results"]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    panels = [
        ("secondsPerRound", "seconds per round (all turns answered)"),
        ("aggregateTokensPerSecond", "answer tokens / s, all requests"),
        ("latencyP95Seconds", "p95 latency of a turn, s"),
    ]
    for backend in dict.fromkeys(r["backend"] for r in rows):
        mine = sorted((r for r in rows if r["backend"] == backend), key=lambda r: r["concurrent"])
        for ax, (key, label) in zip(axes, panels, strict=True):
            ax.plot([r["concurrent"] for r in mine], [r[key] for r in mine], marker="o", label=backend)
            ax.set_ylabel(label)
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set_xlabel("concurrent agent turns")
        ax.legend(fontsize=8)
    fig.suptitle(f"Model server under parallel agent turns, {data['model']}, {data['machine']['cpus']} cores")
    fig.tight_layout()
    fig.savefig(RESULTS / "serving.png", dpi=130)


def negotiator(data: dict) -> None:
    """The trained negotiator (docs/NEGOTIATOR.md): its SFT losses, and the held-out games beside the baselines."""
    del data  # the figure reads the training metrics and several held-out reports
    fig, (loss_ax, bar_ax) = plt.subplots(1, 2, figsize=(12, 4.2))
    offset = 0
    runs = [("negotiator-distill-metrics.jsonl", "distillation"), ("negotiator-distill-rs1-metrics.jsonl", "RS round")]
    for name, label in runs:
        rows = [json.loads(line) for line in (RESULTS / name).read_text().splitlines() if line.strip()]
        steps = [r for r in rows if "losses/sft" in r]
        loss_ax.plot([offset + i + 1 for i in range(len(steps))], [r["losses/sft"] for r in steps], label=label)
        offset += len(steps)
    loss_ax.set(xlabel="optimiser step", ylabel="SFT loss on the answer tokens (nats)", yscale="log")
    loss_ax.set_title("Training (train split only)")
    loss_ax.legend()
    policies = [("base", "base"), ("constant", "constant"), ("rule", "rule"), ("distilled-t0", "distilled"),
                ("distilled-rs1", "+ RS (shipped)")]  # fmt: skip
    names, errors, spreads, rates = [], [], [], []
    for tag, label in policies:
        report = load(f"negotiator-{tag}-heldout3.json")
        if report is None:
            continue
        off = report["byMode"]["off"]
        names.append(label)
        errors.append(off["errorToOptimumMbps"]["mean"])
        spreads.append(off["errorToOptimumMbps"]["sd"])
        rates.append(off["consensusRate"])
    bars = bar_ax.bar(names, errors, yerr=spreads, capsize=4, color="#7a9cc6")
    for bar, rate in zip(bars, rates, strict=True):
        bar_ax.annotate(f"{rate:.0%} agree", (bar.get_x() + bar.get_width() / 2, 1), ha="center", fontsize=8)
    bar_ax.axhline(8, color="grey", linestyle="--", linewidth=1, label="paper, GPT-4o: 8 Mbps")
    bar_ax.set(ylabel="|consensus − optimum|, Mbps (mean ± sd)")
    bar_ax.set_title("Held-out, optimizer off (21 games)")
    bar_ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "negotiator.png", dpi=130)


def main() -> None:
    for name, draw in [
        ("personalities.json", personalities),
        ("optimizers.json", optimizers),
        ("complexity.json", complexity),
        ("serving.json", serving),
        ("negotiator-distilled-rs1-heldout3.json", negotiator),
        ("personalities-negotiator.json", lambda data: personalities(data, "fig3a-negotiator.png")),
        ("personalities-persona.json", lambda data: personalities(data, "fig3a-persona.png")),
        (
            "personalities-negotiator-persona.json",
            lambda data: personalities(data, "fig3a-negotiator-persona.png"),
        ),
        ("optimizers-negotiator.json", lambda data: optimizers(data, "fig3b-negotiator.png")),
        # the default negotiator since session 24 (the three-round weighted one)
        (
            "personalities-negotiator-weighted3.json",
            lambda data: personalities(data, "fig3a-negotiator-weighted3.png"),
        ),
        ("optimizers-negotiator-weighted3.json", lambda data: optimizers(data, "fig3b-negotiator-weighted3.png")),
    ]:
        data = load(name)
        if data is None:
            print(f"skip {name}: run its benchmark first")
            continue
        draw(data)
        print(f"drew {name}")


if __name__ == "__main__":
    main()
