"""Greedy answers of negotiators on PPO turn tasks, by kind of turn (issue 15; docs/NEGOTIATOR.md).

    python -m sixg_learner.evaluation.turn_breakdown --turns F [--model recorded] [--model NAME=CHECKPOINT ...]
        [--out results/F.json] [--plot results/F.png]

A PPO run's `dev/completion` is one number over every dev turn. What decides whether a negotiator keeps
Fig. 3a is which turns moved: the firm parties' round-2 turns against the yielding ones', by how much the topic
matters to the party (the three-round teacher's weight band, policies.ts `weighted3Value`). This scores each
model's greedy answers with the run's own reward server (`negotiation.TurnScorer`, R of turn-env.ts) and
groups them by the task's `kind` ("bo off r<round> <band> <firm|yielding>"). `recorded` is the answers of the
recorded games (the served student the tasks came from); a checkpoint folder is a learner checkpoint or a
shipped negotiator, named `NAME=FOLDER` for the tables and the plot (round-2 kinds, the share of turns as
near the optimum as the teacher).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sixg_learner.training.negotiation import NegotiationTurn, TurnScorer, load_turns, turn_prompts


def turn_kind(turn: NegotiationTurn) -> str:
    """The task's `kind`, written by `npm run negotiator:turns` with negotiator:agreement's grouping (agreement.ts
    `groupOf`: mode, round, weight band, firmness), so the two tools and the teacher's rules share one reading."""
    kind = turn.record.get("kind")
    if not isinstance(kind, str):
        raise ValueError(f"turn {turn.id} has no kind: write the tasks again with npm run negotiator:turns")
    return kind


def breakdown(
    turns: Sequence[NegotiationTurn], rewards: Sequence[dict[str, Any]], by_personality: bool = False
) -> dict[str, Any]:
    """Per kind (and the party's personality, if asked) and over all: turns, mean R, the share as near the optimum
    as the teacher, mean error (Mbps). The personality tells apart what a kind lumps together: a vulnerable and an
    agreeable party are both "yielding", and Fig. 3a's V-D and A-D differ in that alone."""
    if len(turns) != len(rewards):
        raise ValueError(f"{len(turns)} turns but {len(rewards)} rewards")
    kinds: dict[str, list[dict[str, Any]]] = {}
    for turn, reward in zip(turns, rewards, strict=True):
        key = f"{turn_kind(turn)} {turn.record['personality']}" if by_personality else turn_kind(turn)
        kinds.setdefault(key, []).append(reward)

    def summary(group: list[dict[str, Any]]) -> dict[str, Any]:
        errors = [r["errorToOptimum"] for r in group if r["errorToOptimum"] is not None]
        return {
            "turns": len(group),
            "meanReward": round(sum(r["reward"] for r in group) / len(group), 4),
            "satisfied": sum(bool(r["satisfied"]) for r in group),
            "valid": sum(bool(r["valid"]) for r in group),
            "meanErrorToOptimumMbps": round(sum(errors) / len(errors), 2) if errors else None,
        }

    return {"all": summary(list(rewards)), "byKind": {k: summary(v) for k, v in sorted(kinds.items())}}


def greedy_answers(model: Path, turns: Sequence[NegotiationTurn], max_new_tokens: int) -> list[str]:
    from sixg_learner.generation.policy import LoraSettings, sample
    from sixg_learner.training.train import start_from

    policy = start_from(model, "breakdown", LoraSettings()).policy
    prompts = turn_prompts(turns, policy.tokenizer)
    return sample(policy, prompts, 1, max_new_tokens, 1.0, 0, score=False, constrained=False, greedy=True).texts


def plot_round2(report: dict[str, Any], dst: Path) -> None:
    """Bars per model over the round-2 kinds: the share of turns as near eq. (1)'s optimum as the teacher's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = report["models"]
    kinds = sorted({k for m in models.values() for k in m["byKind"] if " r2 " in k})
    width = 0.8 / max(1, len(models))
    fig, ax = plt.subplots(figsize=(11, 4))
    for i, (name, result) in enumerate(models.items()):
        shares = [
            result["byKind"][k]["satisfied"] / result["byKind"][k]["turns"] if k in result["byKind"] else 0.0
            for k in kinds
        ]
        ax.bar([x + i * width for x in range(len(kinds))], shares, width, label=name)
    ax.set_xticks([x + width * (len(models) - 1) / 2 for x in range(len(kinds))])
    ax.set_xticklabels(["\n".join(k.removeprefix("bo off r2 ").rsplit(" ", 1)) for k in kinds])
    ax.set_ylabel("round-2 turns as near the optimum as the teacher")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"greedy answers by kind of turn ({report['turns']})", fontsize=9)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    dst.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(dst, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sixg_learner.evaluation.turn_breakdown", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--turns", type=Path, required=True, help="turn tasks (npm run negotiator:turns)")
    parser.add_argument("--model", action="append", default=[], help="`recorded`, or [NAME=]a checkpoint folder")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the breakdowns as JSON")
    parser.add_argument("--plot", type=Path, default=None, help="draw the round-2 kinds as bars (PNG)")
    parser.add_argument("--by-personality", action="store_true", help="split each kind by the party's personality")
    cli = parser.parse_args(argv)
    if cli.threads is not None:
        import torch

        torch.set_num_threads(cli.threads)
    turns = load_turns(cli.turns)
    report: dict[str, Any] = {"turns": str(cli.turns), "models": {}}
    with TurnScorer([cli.turns]) as scorer:
        for model in cli.model or ["recorded"]:
            name, _, folder = model.rpartition("=")
            label = name or folder
            texts = (
                [str(t.record["recordedAnswer"]) for t in turns]
                if folder == "recorded"
                else greedy_answers(Path(folder), turns, cli.max_new_tokens)
            )
            if name:
                report.setdefault("checkpoints", {})[name] = folder
            result = breakdown(turns, scorer.rewards(turns, texts), cli.by_personality)
            report["models"][label] = result
            overall = result["all"]
            near = f"{overall['satisfied']}/{overall['turns']} as near as the teacher"
            print(f"{label}: mean R {overall['meanReward']}, {near}")
            for kind, row in result["byKind"].items():
                print(
                    f"  {kind:44s} {row['turns']:3d} turns  R {row['meanReward']:.3f}  as near {row['satisfied']:3d}"
                    f"  error {row['meanErrorToOptimumMbps']} Mbps"
                )
    if cli.out is not None:
        cli.out.parent.mkdir(parents=True, exist_ok=True)
        cli.out.write_text(json.dumps(report, indent=2) + "\n")
    if cli.plot is not None:
        plot_round2(report, cli.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
