"""The RLDTF report's figures and table from runs and evaluations already made (paper Figs. 4–7).

    python -m sixg_learner.evaluation.report \\
        --run domain=data/sixg/runs/domain-sft-1 --run rs=data/sixg/runs/rs-1 --run ppo=data/sixg/runs/ppo-1 \\
        --eval random=results/sixg-eval-random.json --eval base=results/sixg-eval-base-grammar.json \\
        --eval domain=… --eval rs=… --eval rldtf=… --out results/rldtf

writes `<out>-curves.png` (training curves: the domain step's loss, the rejection-sampling rounds'
success rate, PPO's losses of eqs. (6), (7) and the KL of (8), PPO's mean reward and success rate),
`<out>-distill.png` with `--run distill=DIR` (loss and dev figures by epoch),
`<out>-benchmarks.png` (task completion rate and average score of completed tasks per model, as
Figs. 6 and 7) and `<out>.json` (the same numbers, with the files they came from). It reads the
runs' `metrics.jsonl` and `sixg_learner.evaluation.evaluate` reports; it trains and evaluates nothing itself.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_metrics(run_dir: Path) -> list[dict[str, Any]]:
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no metrics (is {run_dir} a training run folder?)")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def named_values(pairs: list[str], flag: str, what: str = "VALUE") -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name or not value:
            raise SystemExit(f"{flag} wants NAME={what}, got {pair!r}")
        out[name] = value
    return out


def named_paths(pairs: list[str], flag: str) -> dict[str, Path]:
    return {name: Path(value) for name, value in named_values(pairs, flag, "PATH").items()}


def dev_lines(pairs: list[str]) -> dict[str, float]:
    """`--dev-line NAME=COMPLETION`: a completion rate between 0 and 1."""
    lines = {}
    for name, value in named_values(pairs, "--dev-line", "COMPLETION").items():
        try:
            rate = float(value)
        except ValueError:
            rate = math.nan  # not a number: refused below like one out of range
        if not 0.0 <= rate <= 1.0:
            raise SystemExit(f"--dev-line {name}: a completion rate between 0 and 1, got {value!r}")
        lines[name] = rate
    return lines


def benchmark_rows(evals: dict[str, Path]) -> list[dict[str, Any]]:
    rows = []
    for name, path in evals.items():
        report = json.loads(path.read_text())
        summary = report["summary"]
        rows.append(
            {
                "model": name,
                "report": str(path),
                "generator": report.get("generator", {}),
                "tasks": summary["tasks"],
                "completion_rate": summary["task_completion_rate"],
                "average_score_completed": summary["average_score_completed"],
                "mean_reward": summary["mean_reward"],
                "parse_failures": summary["parse_failures"],
            }
        )
    return rows


def plot_curves(runs: dict[str, list[dict[str, Any]]], dst: Path) -> None:
    if set(runs) <= {"ppo"}:  # a PPO run alone (the negotiator's): its two panels, not two empty ones beside
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        a_loss, a_reward = axes
    else:
        fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
        (a_sft, a_rs), (a_loss, a_reward) = axes
        _plot_sft_and_rs(runs, a_sft, a_rs)
    _plot_ppo(runs.get("ppo", []), a_loss, a_reward)
    for ax in axes.flat:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(dst, dpi=120)
    plt.close(fig)


def _plot_sft_and_rs(runs: dict[str, list[dict[str, Any]]], a_sft: Any, a_rs: Any) -> None:  # noqa: ANN401 - axes
    sft = [m for m in runs.get("domain", []) if "losses/sft" in m]
    if sft:
        a_sft.plot([m["step"] for m in sft], [m["losses/sft"] for m in sft], color="tab:gray", lw=1)
    a_sft.set(title="Domain step (phase 1): SFT loss on telecom Q&A", xlabel="optimiser step", ylabel="loss (nats)")
    rs = [m for m in runs.get("rs", []) if m.get("phase") == "rs" and "charts/success_rate" in m]
    if rs:
        rounds = [m["step"] for m in rs]
        a_rs.plot(rounds, [m["charts/success_rate"] for m in rs], "o-", label="success rate of samples")
        a_rs.plot(rounds, [m["charts/mean_reward"] for m in rs], "s--", label="mean reward (eq. 2)")
        a_rs.set_xticks(rounds)
    # greedy completion on the dev split after each round (round 0: the model RS started from)
    dev = [m for m in runs.get("rs", []) if "dev/completion" in m]
    if dev:
        a_rs.plot([m["step"] for m in dev], [m["dev/completion"] for m in dev], "^:", label="dev completion (greedy)")
    if rs or dev:
        a_rs.legend(loc="best", fontsize=8)
    a_rs.set(title="Rejection sampling (Section III-B)", xlabel="round (measured before its SFT)")


def _plot_ppo(metrics: list[dict[str, Any]], a_loss: Any, a_reward: Any) -> None:  # noqa: ANN401 - axes
    ppo = [m for m in metrics if m.get("phase") == "ppo"]
    if ppo:
        steps = [m["step"] for m in ppo]
        a_loss.plot(steps, [m["losses/policy"] for m in ppo], label="policy loss, eq. (6)")
        a_loss.plot(steps, [m["losses/value"] for m in ppo], label="value loss, eq. (7)")
        a_loss.plot(steps, [m["losses/kl_ref"] for m in ppo], label="KL to π_ref, eq. (8)")
        a_loss.legend(loc="best", fontsize=8)
        a_reward.plot(steps, [m["charts/mean_reward"] for m in ppo], "o-", label="mean reward of the samples")
        a_reward.plot(steps, [m["charts/success_rate"] for m in ppo], "s--", label="success rate")
        a_reward.plot(steps, [m["charts/valid_rate"] for m in ppo], ":", color="tab:gray", label="valid rate")
        dev = [m for m in ppo if "dev/completion" in m]
        if dev:
            a_reward.plot([m["step"] for m in dev], [m["dev/completion"] for m in dev], "^", label="dev completion")
        a_reward.legend(loc="best", fontsize=8)
    a_loss.set(title="PPO losses (cf. paper Fig. 4)", xlabel="PPO iteration")
    a_reward.set(title="PPO reward on training tasks (cf. paper Fig. 5)", xlabel="PPO iteration")


def plot_distill(metrics: list[dict[str, Any]], dst: Path, dev_lines: dict[str, float] | None = None) -> None:
    """Distillation by epoch: the SFT loss (epoch mean and last step) and the greedy dev figures, beside
    `dev_lines` (name → dev completion, e.g. the hand rule's)."""
    epochs = [m for m in metrics if m.get("phase") == "distill" and "losses/sft_epoch" in m]
    if not epochs:
        raise ValueError("no distillation epochs in the metrics (is it a `train distill` run?)")
    fig, (a_loss, a_dev) = plt.subplots(1, 2, figsize=(11, 4))
    x = [m["step"] for m in epochs]
    a_loss.plot(x, [m["losses/sft_epoch"] for m in epochs], "o-", label="epoch mean")
    a_loss.plot(x, [m["losses/sft_last"] for m in epochs], ".:", color="tab:gray", label="last step")
    a_loss.set(title="Distillation: SFT loss on the targets' free tokens", xlabel="epoch", ylabel="loss (nats)")
    a_loss.legend(loc="best", fontsize=8)
    dev = [m for m in metrics if m.get("phase") == "distill" and "dev/completion" in m]
    if dev:
        a_dev.plot([m["step"] for m in dev], [100 * m["dev/completion"] for m in dev], "^-", label="completion (%)")
        score = [m for m in dev if m.get("dev/avg_score_completed") is not None]
        twin = a_dev.twinx()
        twin.plot([m["step"] for m in score], [m["dev/avg_score_completed"] for m in score], "s--", color="tab:orange")
        twin.set_ylabel("avg score of completed (eq. 2)", color="tab:orange")
    for name, completion in (dev_lines or {}).items():
        a_dev.axhline(100 * completion, ls=":", color="tab:red", lw=1)
        a_dev.annotate(name, (x[0], 100 * completion), fontsize=8, color="tab:red", va="bottom")
    a_dev.set(title="Greedy answers on the dev tasks", xlabel="epoch (0: the starting model)", ylabel="completion (%)")
    for ax in (a_loss, a_dev):
        ax.grid(alpha=0.3)
        ax.set_xticks(sorted({m["step"] for m in epochs + dev}))
    fig.tight_layout()
    fig.savefig(dst, dpi=120)
    plt.close(fig)


def plot_benchmarks(rows: list[dict[str, Any]], dst: Path) -> None:
    fig, (a_rate, a_score) = plt.subplots(1, 2, figsize=(11, 4))
    names = [r["model"] for r in rows]
    colors = ["tab:gray" if n == "random" else "tab:blue" for n in names]
    a_rate.bar(names, [100 * r["completion_rate"] for r in rows], color=colors)
    a_rate.set(title="One-shot task completion rate (cf. Fig. 6)", ylabel="%")
    a_score.bar(names, [r["average_score_completed"] or 0.0 for r in rows], color=colors)
    a_score.set(title="Average score of completed tasks (cf. Fig. 7)", ylabel="eq. (2)")
    for ax, key, fmt in ((a_rate, "completion_rate", "{:.0f} %"), (a_score, "average_score_completed", "{:.3f}")):
        for i, r in enumerate(rows):
            value = r[key] or 0.0
            shown = 100 * value if key == "completion_rate" else value
            ax.annotate(fmt.format(shown), (i, shown), ha="center", va="bottom", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    tasks = {r["tasks"] for r in rows}
    fig.suptitle(f"SmolLM2-135M on {'/'.join(str(t) for t in sorted(tasks))} held-out tasks, system-level twin")
    fig.tight_layout()
    fig.savefig(dst, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Figures and table of the RLDTF report from runs and evaluations.")
    parser.add_argument("--run", action="append", default=[], help="NAME=RUN_DIR (names: domain, rs, ppo, distill)")
    parser.add_argument("--eval", action="append", default=[], help="NAME=EVAL_REPORT.json, in bar order")
    parser.add_argument("--out", type=Path, default=Path("results/rldtf"), help="prefix of the files written")
    parser.add_argument(
        "--dev-line", action="append", default=[], help="NAME=COMPLETION (0–1): a reference line in the distill figure"
    )
    args = parser.parse_args(argv)
    runs = {name: read_metrics(path) for name, path in named_paths(args.run, "--run").items()}
    rows = benchmark_rows(named_paths(args.eval, "--eval"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    curves, bars = Path(f"{args.out}-curves.png"), Path(f"{args.out}-benchmarks.png")
    figures = []
    if any(name in runs for name in ("domain", "rs", "ppo")):  # a distillation alone has no curves to draw
        plot_curves(runs, curves)
        figures.append(curves)
    if "distill" in runs:
        figures.append(Path(f"{args.out}-distill.png"))
        plot_distill(runs["distill"], figures[-1], dev_lines(args.dev_line))
    if rows:
        plot_benchmarks(rows, bars)
    summary = {
        "benchmarks": rows,
        "runs": {name: str(path) for name, path in named_paths(args.run, "--run").items()},
        "figures": [str(f) for f in figures] + ([str(bars)] if rows else []),
    }
    Path(f"{args.out}.json").write_text(json.dumps(summary, indent=2) + "\n")
    for r in rows:
        avg = "n/a" if r["average_score_completed"] is None else f"{r['average_score_completed']:.3f}"
        print(f"{r['model']:<10} completion {100 * r['completion_rate']:5.1f} %  avg score {avg}  ({r['report']})")
    print(f"wrote {args.out}.json, " + ", ".join(str(f) for f in figures) + (f", {bars}" if rows else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
