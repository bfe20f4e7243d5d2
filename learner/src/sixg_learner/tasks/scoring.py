"""Generated answers → the twin's verdict: eq. (2)'s reward and whether the task's QoS is met.

The training loop sees the twin only through `Scorer`: a batch of (task, answer text) pairs in, a
`Score` per pair out, plus a single-text reward for the token weights of eqs. (3)–(5). `TwinScorer`
is the real one: parse the answer into an orchestration in the task's scenario
(`prompting.parse_orchestration`), run the twin at system level, score with eq. (2). Tests pass a
fake with the same two methods.

Batching: the distinct plans of a batch (by the plan's content hash) not yet seen go to the twin in
one vectorised call (`system_level_evaluator`, in this process: the same function the
twin's process pool runs, without a pool's start-up on a two-core machine); results are cached for
the scorer's lifetime (the system-level twin is deterministic), so a repeated plan costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from twin_bridge.orchestration import Orchestration, TwinResult

from sixg_learner.tasks.prompting import ParseFailure, parse_orchestration
from sixg_learner.tasks.reward import FAILURE_REWARD, judge
from sixg_learner.tasks.task import Task

PlanEvaluator = Callable[[Sequence[Orchestration]], list[TwinResult | None]]
"""Evaluates plans in order; None where the twin refuses a plan."""


def system_level_evaluator(plans: Sequence[Orchestration]) -> list[TwinResult | None]:
    """In-process system-level twin: one vectorised call, plan by plan only if some plan is refused."""
    from twin_bridge.systemlevel import evaluate_system_level, evaluate_system_level_batch

    try:
        return list(evaluate_system_level_batch(plans))
    except ValueError:
        results: list[TwinResult | None] = []
        for plan in plans:
            try:
                results.append(evaluate_system_level(plan))
            except ValueError:
                results.append(None)
        return results


@dataclass(frozen=True)
class Score:
    reward: float
    """Eq. (2); `FAILURE_REWARD` for an answer that is no valid plan or that the twin refuses."""
    satisfied: bool
    """The twin's QoS meets the task's requirement (the rejection-sampling criterion)."""
    valid: bool
    """The answer parsed into a plan the twin ran."""


class Scorer(Protocol):
    def score(self, tasks: Sequence[Task], texts: Sequence[str]) -> list[Score]:
        """One score per (task, text) pair."""
        ...

    def text_reward(self, task: Task, text: str) -> float:
        """Eq. (2) for one answer (the reward function eq. (4) perturbs)."""
        ...


AnswerParser = Callable[[str, Task], Orchestration | ParseFailure]
"""(answer text, task) → the plan it describes in the task's scenario, or why it describes none."""

INVALID = Score(reward=FAILURE_REWARD, satisfied=False, valid=False)


@dataclass
class TwinScorer:
    """The twin as the training loop's judge (module docstring)."""

    parse: AnswerParser = parse_orchestration
    evaluate_plans: PlanEvaluator = system_level_evaluator
    results: dict[str, TwinResult | None] = field(default_factory=dict)
    """Twin results by plan content hash; None where the twin refused the plan."""
    twin_calls: int = 0
    """Plans sent to the twin so far (cache misses)."""

    def _run(self, plans: Sequence[Orchestration]) -> None:
        missing = {plan.cache_key(): plan for plan in plans if plan.cache_key() not in self.results}
        if not missing:
            return
        results = self.evaluate_plans(list(missing.values()))
        self.twin_calls += len(missing)
        self.results.update(zip(missing.keys(), results, strict=True))

    def _score(self, task: Task, plan: Orchestration | ParseFailure) -> Score:
        if isinstance(plan, ParseFailure):
            return INVALID
        result = self.results[plan.cache_key()]
        if result is None:
            return INVALID
        verdict = judge(result, plan, task.requirement())
        return Score(reward=verdict.reward, satisfied=verdict.satisfied, valid=True)

    def score(self, tasks: Sequence[Task], texts: Sequence[str]) -> list[Score]:
        plans = [self.parse(text, task) for task, text in zip(tasks, texts, strict=True)]
        self._run([plan for plan in plans if isinstance(plan, Orchestration)])
        return [self._score(task, plan) for task, plan in zip(tasks, plans, strict=True)]

    def text_reward(self, task: Task, text: str) -> float:
        return self.score([task], [text])[0].reward
