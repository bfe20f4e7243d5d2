"""The trivial baselines a learned 6G-LLM has to beat: a constant plan and a hand rule.

- **Constant** (`--model constant`): one link for every task, the link of the feasibility grid that
  completes the most *training* tasks (ties: the higher mean eq. (2) score). It is chosen on a training
  file, never on the tasks it is evaluated on (`best_constant_link`, `npm run sixg:baselines`), and is
  stored in `learner/data/constant-plan.json` with the file and hash it was chosen on.
- **Rule** (`--model rule`): what a radio engineer writes in ten lines, without the twin in the loop:
  MCS from the SNR through the twin's AWGN BLER curves (threshold at the task's BER bound) with a
  textbook margin (2 dB on AWGN, 6 dB on a fading channel), the fewest PRBs that carry the throughput at
  that MCS, 60 kHz SCS for a delay budget under 1.5 ms (else 30 kHz), and the rest fixed (one layer,
  receive antennas up to 4, LS estimation, LMMSE, 20 LDPC iterations within the decoder budget, no
  HARQ). It reads the task's state (free PRBs, antennas, decoder budget) only to stay inside it. Its
  constants were set on the training tasks, never on the evaluation tasks.
- **Lean rule** (`--model lean-rule`, session 21): the rule with the budget's leanest MCS, PRBs and LDPC
  iterations (`link_budget.lean_fit`), still without the twin; a stronger baseline the issue did not name.

Both answer in the same JSON as the model, so `evaluate` scores them like any other generator.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twin_bridge.orchestration import LinkConfig, Orchestration, state_violations

from sixg_learner.tasks.generate import feasibility_grid
from sixg_learner.tasks.link_budget import (
    DEFAULT_SCS_KHZ,
    MARGIN_DB,
    RULE_LDPC_ITERATIONS,
    RX_ANTENNAS,
    SHORT_DELAY_MS,
    lean_rule_link,
    rule_link,
)
from sixg_learner.tasks.reward import judge
from sixg_learner.tasks.scoring import PlanEvaluator, system_level_evaluator
from sixg_learner.tasks.task import Task, file_sha256, load_tasks

CONSTANT_PLAN_FILE = Path("learner/data/constant-plan.json")


def answer_json(link: LinkConfig) -> str:
    return json.dumps(link.model_dump(mode="json"), separators=(",", ":"))


# --------------------------------------------------------------------------------------------------------------------
# Constant plan
# --------------------------------------------------------------------------------------------------------------------


def best_constant_link(
    tasks: Sequence[Task], evaluate_plans: PlanEvaluator = system_level_evaluator, grid: Sequence[LinkConfig] = ()
) -> tuple[LinkConfig, int, float]:
    """The grid link completing the most tasks (a plan outside a task's state fails it), its count and mean score."""
    links = list(grid) or list(feasibility_grid())
    completed = [0] * len(links)
    score_sum = [0.0] * len(links)
    for task in tasks:
        scenario = task.radio()
        fits = [i for i, link in enumerate(links) if not state_violations(link, scenario)]
        plans = [Orchestration(link=links[i], scenario=scenario) for i in fits]
        for i, plan, result in zip(fits, plans, evaluate_plans(plans), strict=True):
            if result is None:
                continue
            verdict = judge(result, plan, task.requirement())
            if verdict.satisfied:
                completed[i] += 1
                score_sum[i] += verdict.reward
    best = max(range(len(links)), key=lambda i: (completed[i], score_sum[i]))
    mean = score_sum[best] / completed[best] if completed[best] else 0.0
    return links[best], completed[best], mean


class ConstantPlanGenerator:
    """Answers every task with the same link (`learner/data/constant-plan.json` unless given)."""

    def __init__(self, link: LinkConfig | None = None, source: Path = CONSTANT_PLAN_FILE) -> None:
        if link is None:
            if not source.is_file():
                raise FileNotFoundError(f"{source} is missing: choose the constant plan with `npm run sixg:baselines`")
            record = json.loads(source.read_text())
            link = LinkConfig.model_validate(record["link"])
            self.record: dict[str, Any] = record
        else:
            self.record = {"link": link.model_dump(mode="json")}
        self.link = link

    def __call__(self, task: Task) -> str:
        return answer_json(self.link)

    def describe(self) -> dict[str, Any]:
        return {"kind": "constant_plan", **self.record}


# --------------------------------------------------------------------------------------------------------------------
# Rule
# --------------------------------------------------------------------------------------------------------------------


class RulePlanGenerator:
    def __call__(self, task: Task) -> str:
        return answer_json(rule_link(task))

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "rule",
            "margin_db": MARGIN_DB,
            "bler_threshold": "the task's max BER, rounded down to a decade",
            "scs_khz": {"default": DEFAULT_SCS_KHZ, f"delay below {SHORT_DELAY_MS} ms": 60},
            "fixed": {"rx_antennas_up_to": RX_ANTENNAS, "ldpc": RULE_LDPC_ITERATIONS, "layers": 1},
        }


class LeanRulePlanGenerator:
    """The rule with its link budget's leanest plan (`link_budget.lean_fit`): among the MCS up to the budget's, the
    one whose fewest PRBs land nearest the throughput need, and the fewest LDPC iterations the SINR left over
    the margin pays for. No twin in the loop; the plan the `lean` prompt's budget line names."""

    def __call__(self, task: Task) -> str:
        return answer_json(lean_rule_link(task))

    def describe(self) -> dict[str, Any]:
        return {
            **RulePlanGenerator().describe(),
            "kind": "lean_rule",
            "lean": "MCS ≤ the rule's and PRBs minimising eq. (2)'s throughput waste plus PRB and decoder shares; "
            "LDPC iterations from the spare SINR at 0.8 dB per halving",
        }


# --------------------------------------------------------------------------------------------------------------------
# CLI: choose the constant plan on a training file
# --------------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Choose the constant-plan baseline on training tasks.")
    parser.add_argument("--tasks", type=Path, required=True, help="TRAINING task file (never the evaluation tasks)")
    parser.add_argument("--out", type=Path, default=CONSTANT_PLAN_FILE)
    args = parser.parse_args(argv)
    tasks = load_tasks(args.tasks)
    link, completed, mean = best_constant_link(tasks)
    record = {
        "link": link.model_dump(mode="json"),
        "chosen_on": str(args.tasks),
        "chosen_on_sha256": file_sha256(args.tasks),
        "training_completion": completed / len(tasks),
        "training_mean_score_of_completed": mean,
        "grid_links": len(feasibility_grid()),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
