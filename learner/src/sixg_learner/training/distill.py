"""Twin-search distillation: SFT of the 6G-LLM on the best plan the digital twin's grid search found per task.

Why this phase exists. Rejection sampling (Section III-B) learns only from what the model already
samples: from the 135M base that was 6.7 % of samples in round 1, mostly resource-hungry plans, and a
round on top of the PPO model kept answers the model already found likely, so its SFT barely moved
the argmax (docs/RLDTF.md, session 9). The paper gets its initial policy from 170K curated instances
produced by a 671B model and filtered by two rounds of rejection sampling; nothing of that size
exists here. What does exist is the twin itself: every training task was generated with a *witness*,
the plan of highest eq. (2) reward among 5,280 grid plans the twin ran at system level
(`tasks.generate.find_witness`). That is rejection sampling with the grid as the proposer and k =
5,280: the twin, not a person, says which plan is best, and the model learns to write it without
the search. Only training tasks' witnesses are used; dev tasks pick the epoch; the held-out
evaluation tasks are never seen.

The witness is the leanest grid plan that meets the QoS, so it sits on the edge of feasibility: an
answer one MCS step or a few PRBs off it fails. With `target_margin_db` > 0 the target is instead the
grid plan of highest reward that meets the QoS at the task's SNR lowered by that margin (and at the
task's own SNR, checked): a *robust witness*, which an imprecise imitation still satisfies
(`robust_targets`, cached in `<out>/targets.jsonl`). The tasks' own witnesses stay untouched.

With `targets = "repair"` the teacher is the starting model itself, corrected by the twin
(`repair_targets`): its greedy answer where that meets the QoS, else the nearest plan that does
(`tasks.repair`: the fewest edit groups changed, then the highest reward, with the margin). The
model then learns only the corrections the twin found necessary, in its own style, and keeps the
answers that already work. With `targets = "rule-repair"` the hand rule's plan stands in for the
model's answer: the model learns the rule where it works and the twin's nearest fix where it does
not, which a model reading the link budget in its prompt (`--prompt link-budget`) can learn to write.
`targets = "lean-repair"` does the same from the lean rule's plan (`link_budget.lean_rule_link`), the
plan the `lean` prompt's budget line names (`--prompt lean`).

One epoch:

1. each training task's target link becomes the answer the grammar would write for it
   (`teacher_answer_ids`: the forced literals, and per value the longest allowed token that keeps it
   a prefix of the witness's value), the task's cell state limiting the grammar as in sampling;
2. SFT on the choice tokens under the constrained policy π_c (`rejection_sampling.sft_loss`: forced
   tokens have probability 1 and carry no gradient), AdamW on the adapters, the learning rate decaying
   linearly from `learning_rate` to `learning_rate · final_lr_fraction` over the run;
3. greedy completion on the dev tasks (`train.dev_metrics`), a checkpoint `distill-epoch-N`, and
   `<out>/best.json` naming the epoch with the best dev figures.

The checkpoint is a `--base` for `train rs` and an `--init` for `train ppo` (other phases start
from its adapters with a fresh optimizer); as `--base` of `train distill` it resumes at the next
epoch with the saved optimizer and RNG.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import torch
from twin_bridge.orchestration import Orchestration

from sixg_learner.generation.grammar import AnswerGrammar, RowState, StateLimits, grammar_for
from sixg_learner.generation.policy import Policy, Sequences, chat_prompts, derive_seed, sample, shared_prefix_len
from sixg_learner.tasks.generate import find_witness, witness_of
from sixg_learner.tasks.link_budget import lean_rule_link, rule_link
from sixg_learner.tasks.prompting import ParseFailure, answer_text, parse_orchestration
from sixg_learner.tasks.repair import climb, repair
from sixg_learner.tasks.reward import judge
from sixg_learner.tasks.scoring import PlanEvaluator, system_level_evaluator
from sixg_learner.tasks.task import FeasibilityWitness, Task, load_tasks, tasks_jsonl
from sixg_learner.training.args import DistillArgs
from sixg_learner.training.rejection_sampling import sft_step
from sixg_learner.training.updates import minibatches

log = logging.getLogger(__name__)


class NoTeacherAnswer(ValueError):
    """The witness cannot be written under the grammar (a value outside the task's state, or no witness)."""


def _value_texts(grammar: AnswerGrammar, link: dict[str, Any]) -> list[str]:
    """The witness's values spelled as the grammar's fields spell them (strings bare, the rest as JSON)."""
    texts = []
    for spec in grammar.fields:
        value = link[spec.name]
        texts.append(value if isinstance(value, str) else json.dumps(value))
    return texts


def teacher_answer_ids(grammar: AnswerGrammar, link: dict[str, Any], limits: StateLimits) -> list[int]:
    """The token ids the constrained policy would emit to write `link` (end-of-text included).

    Literals are forced. Within a value the walk takes, among the tokens the grammar allows, the one
    with the longest text that keeps the value a prefix of the target, and ends the value with the
    next literal's first token once it is complete: the same tokens the sampler can produce, so the
    SFT loss is on exactly the choices the policy makes.
    """
    targets = _value_texts(grammar, link)
    state, ids = RowState(limits=limits), []
    while not state.ended:
        allowed = grammar.allowed(state)
        if state.done:
            token = grammar.eos_token_id
        elif state.in_literal:
            token = allowed[0]
        else:
            i = state.field_index
            target = targets[i]
            closer = grammar.literal_ids[i + 1][0]
            if state.value == target and closer in allowed:
                token = closer
            else:
                options = [
                    (len(text), token)
                    for token, text in grammar.extensions[i].get(state.value, [])
                    if token in allowed and target.startswith(state.value + text)
                ]
                if not options:
                    name = grammar.fields[i].name
                    raise NoTeacherAnswer(f"{name}={target!r} cannot be written after {state.chosen} in this state")
                token = max(options)[1]
        ids.append(token)
        grammar.advance(state, token)
        if token == grammar.eos_token_id:
            break
    return ids


def teacher_sequences(policy: Policy, tasks: Sequence[Task]) -> tuple[Sequences, list[int]]:
    """(prompt, witness answer) pairs as `Sequences` with the grammar's allowed sets, and the task rows used.

    The layout is `policy.sample`'s: the token prefix every prompt shares once, each prompt's rest
    left-padded, the answers right-padded; a task whose witness the grammar cannot write is skipped.
    """
    grammar = grammar_for(policy.tokenizer)
    tokenizer = policy.tokenizer
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    used, answers, limits = [], [], []
    for row, task in enumerate(tasks):
        if task.witness is None:
            continue
        lim = StateLimits.of(task.radio())
        try:
            ids = teacher_answer_ids(grammar, task.witness.link.model_dump(mode="json"), lim)
        except NoTeacherAnswer:
            continue
        used.append(row)
        answers.append(ids)
        limits.append(lim)
    if not used:
        raise ValueError("no task has a witness the answer grammar can write")
    prompts = chat_prompts([tasks[r] for r in used], policy)
    token_lists = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    prefix_len = shared_prefix_len(token_lists) if len(token_lists) > 1 else 0
    rests = [ids[prefix_len:] for ids in token_lists]
    width, answer_width = max(len(r) for r in rests), max(len(a) for a in answers)
    rows, masks, response, padded = [], [], [], []
    for rest, answer in zip(rests, answers, strict=True):
        left, right = width - len(rest), answer_width - len(answer)
        rows.append([pad] * left + rest + answer + [pad] * right)
        masks.append([0] * left + [1] * (len(rest) + len(answer)) + [0] * right)
        response.append([1.0] * len(answer) + [0.0] * right)
        padded.append(answer + [pad] * right)
    seqs = Sequences(
        prefix_ids=torch.tensor(token_lists[0][:prefix_len], dtype=torch.long),
        input_ids=torch.tensor(rows, dtype=torch.long),
        attention_mask=torch.tensor(masks, dtype=torch.long),
        prompt_len=width,
        response_mask=torch.tensor(response),
    )
    seqs.allowed = grammar.allowed_tensor(padded, answer_width, limits)
    return seqs, used


def robust_witness(
    task: Task, margin_db: float, evaluate_plans: PlanEvaluator = system_level_evaluator
) -> FeasibilityWitness | None:
    """The grid plan of highest eq. (2) reward meeting the QoS at SNR − `margin_db`, judged at the task's own
    SNR (where it must meet the QoS too); None when no grid plan has that margin."""
    scenario = task.radio()
    pessimistic = task.model_copy(
        update={"scenario": scenario.model_copy(update={"snr_db": scenario.snr_db - margin_db})}
    )
    found = find_witness(pessimistic, evaluate_plans)
    if found is None:
        return None
    plan = Orchestration(link=found.link, scenario=scenario)
    result = evaluate_plans([plan])[0]
    if result is None:
        return None
    verdict = judge(result, plan, task.requirement())
    if not verdict.satisfied:
        return None
    return witness_of(plan, result, verdict)


def _cached_targets(cache: Path, tasks: Sequence[Task], key: str) -> list[Task] | None:
    """The targets written to `cache` for these tasks under `key` (the kind of target and its margin), else None."""
    key_file = cache.with_suffix(".key")
    if not cache.is_file() or not key_file.is_file() or key_file.read_text() != key:
        return None
    cached = load_tasks(cache)
    return cached if [t.id for t in cached] == [t.id for t in tasks] else None


def _write_targets(cache: Path, targets: Sequence[Task], key: str) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(tasks_jsonl(targets))
    cache.with_suffix(".key").write_text(key)


def robust_targets(tasks: Sequence[Task], margin_db: float, cache: Path) -> tuple[list[Task], int]:
    """The tasks with their witness replaced by the robust one where the grid has it (else kept), and how
    many were replaced; read from `cache` when it holds these tasks' targets for this margin."""
    key = f"robust:{margin_db}"
    cached = _cached_targets(cache, tasks, key)
    if cached is not None:
        return cached, sum(a.witness != b.witness for a, b in zip(cached, tasks, strict=True))
    out, replaced = [], 0
    for i, task in enumerate(tasks):
        robust = robust_witness(task, margin_db)
        if robust is not None and robust != task.witness:
            replaced += 1
        out.append(task if robust is None else task.model_copy(update={"witness": robust}))
        if (i + 1) % 50 == 0:
            log.info("robust targets: %d/%d tasks (%d replaced)", i + 1, len(tasks), replaced)
    _write_targets(cache, out, key)
    return out, replaced


def repair_targets(
    policy: Policy,
    tasks: Sequence[Task],
    margin_db: float,
    cache: Path,
    max_new_tokens: int,
    evaluate_plans: PlanEvaluator = system_level_evaluator,
    start: Literal["model", "rule", "lean-rule"] = "model",
    polish_moves: int = 0,
) -> tuple[list[Task], dict[str, int]]:
    """The tasks with their witness replaced by what the starting policy should learn, and the counts of each kind.

    The policy's greedy answer (under the grammar, the task's state) where it meets the QoS: `kept`, so
    SFT sharpens what already works instead of overwriting it. Else the nearest repair of that answer
    (`tasks.repair`, with `margin_db`): `repaired`. Else the task's witness: `witness`. Read from
    `cache` when it holds these tasks' targets; a resumed run keeps the targets of the model it started
    from. With `polish_moves` > 0 a kept answer is trimmed by up to that many moves of `tasks.repair.climb`
    (with `margin_db`): `polished` where it moved.

    With `start="rule"` the hand rule's plan (`tasks.link_budget.rule_link`) stands in for the model's
    answer: the targets are the rule where it works and the twin's nearest fix of it where it does not,
    what a model reading the link budget in its prompt can learn to write. With `start="lean-rule"` the lean
    rule's plan (`lean_rule_link`) does, the plan the `lean` prompt names.
    """
    # the model's answers depend on the prompt it is asked with; the rules' do not
    key = f"repair:{margin_db}:{policy.prompt}" if start == "model" else f"{start}-repair:{margin_db}"
    if polish_moves > 0:
        key += f":polish:{polish_moves}"
    cached = _cached_targets(cache, tasks, key)
    if cached is not None:
        return cached, json.loads(cache.with_suffix(".counts").read_text())
    # and changed_<group> / polished_<group>: how often repairs and trims edit each group
    counts = {"kept": 0, "polished": 0, "repaired": 0, "witness": 0}
    if start != "model":
        rule = rule_link if start == "rule" else lean_rule_link
        texts = [answer_text(rule(task)) for task in tasks]
    else:
        texts = sample(
            policy,
            chat_prompts(tasks, policy),
            1,
            max_new_tokens,
            1.0,
            0,
            score=False,
            greedy=True,
            limits=[StateLimits.of(task.radio()) for task in tasks],
        ).texts
    out = []
    started = time.perf_counter()
    for i, (task, text) in enumerate(zip(tasks, texts, strict=True)):
        plan = parse_orchestration(text, task)
        target = None
        if not isinstance(plan, ParseFailure):
            result = evaluate_plans([plan])[0]
            verdict = judge(result, plan, task.requirement()) if result is not None else None
            if result is not None and verdict is not None and verdict.satisfied:
                target, kind = witness_of(plan, result, verdict), "kept"
                if polish_moves > 0:
                    trimmed = climb(
                        task, target, max_moves=polish_moves, margin_db=margin_db, evaluate_plans=evaluate_plans
                    )
                    if trimmed.moves > 0:
                        target, kind = trimmed.witness, "polished"
                        for name in trimmed.changed:
                            counts[f"polished_{name}"] = counts.get(f"polished_{name}", 0) + 1
            else:
                fixed = repair(task, plan.link, margin_db, evaluate_plans)
                if fixed is not None:
                    target, kind = fixed.witness, "repaired"
                    for name in fixed.changed:
                        counts[f"changed_{name}"] = counts.get(f"changed_{name}", 0) + 1
        if target is None:
            target, kind = task.witness, "witness"
        counts[kind] += 1
        out.append(task.model_copy(update={"witness": target}))
        if (i + 1) % 25 == 0:
            seconds = time.perf_counter() - started
            log.info("repair targets: %d/%d tasks %s (%.0f s)", i + 1, len(tasks), counts, seconds)
    _write_targets(cache, out, key)
    cache.with_suffix(".counts").write_text(json.dumps(counts))
    return out, counts


def learning_rate_at(args: DistillArgs, step: int, total_steps: int) -> float:
    """Linear decay from `learning_rate` (step 1) to `learning_rate · final_lr_fraction` (the last step)."""
    if total_steps <= 1:
        return args.learning_rate
    fraction = (step - 1) / (total_steps - 1)
    return args.learning_rate * (1.0 - fraction * (1.0 - args.final_lr_fraction))


def distill_epoch(
    policy: Policy, optimizer: torch.optim.Optimizer, data: Sequences, args: DistillArgs, epoch: int
) -> tuple[list[float], float]:
    """One pass over the teacher pairs in seeded minibatches (stages 1–2 of the module docstring): the losses
    per step, and the epoch's seconds."""
    n = data.input_ids.shape[0]
    steps_per_epoch = -(-n // args.minibatch_size)
    total = steps_per_epoch * args.epochs
    generator = torch.Generator().manual_seed(derive_seed(args.seed, "distill", epoch))
    started, losses = time.perf_counter(), []
    for i, rows in enumerate(minibatches(n, args.minibatch_size, generator)):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate_at(args, (epoch - 1) * steps_per_epoch + i + 1, total)
        losses.append(sft_step(policy, optimizer, data, rows, args))
        log.info(
            "distill epoch %d step %d/%d  loss %.4f  (%.0f s)",
            epoch, i + 1, steps_per_epoch, losses[-1], time.perf_counter() - started,
        )  # fmt: skip
    return losses, time.perf_counter() - started


def summary_line(metrics: dict[str, Any]) -> str:
    dev = metrics.get("dev/completion")
    avg = metrics.get("dev/avg_score_completed")
    return (
        f"distill epoch {metrics['step']}: loss {metrics['losses/sft_first']:.3f} -> {metrics['losses/sft_last']:.3f}"
        + (f"  dev completion {dev:.1%}" if dev is not None else "")
        + (f"  dev avg score {avg:.3f}" if avg is not None else "")
        + f"  ({metrics['time/train_s']:.0f} s)"
    )
