"""The training loop on a tiny random llama with a character tokenizer and a fake twin.

The fake twin's reward is a deterministic function of the answer's text (+0.25 per "a", −0.25 per
"b", clipped to [−1, 1]; the QoS counts as met when it is positive), so every check below knows
which answers pass without Sionna.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import torch
from sixg_learner.generation.policy import (
    LoraSettings,
    Policy,
    Sequences,
    chat_prompts,
    derive_seed,
    forward,
    load_policy,
    sample,
    select_rollout,
    using_reference,
)
from sixg_learner.tasks.scoring import Score
from sixg_learner.tasks.task import Qos, Task
from sixg_learner.training import train
from sixg_learner.training.args import DistillArgs, PpoArgs, RsArgs
from sixg_learner.training.checkpoints import CHECKPOINT_FILE, load_checkpoint, merge_and_export, save_checkpoint
from sixg_learner.training.rejection_sampling import rs_round, sft_loss
from sixg_learner.training.rl import ppo_iteration
from sixg_learner.training.updates import backward_in_microbatches, make_optimizer, minibatches
from tiny import random_llama
from tokenizers import Tokenizer, decoders, models
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

EOS = "<|im_end|>"
CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789 {}:,._\n"
PREFIX = "you are the orchestrator. give the link. "
TASKS = [
    Task(id=f"t{i}", description=f"task {i}", qos=Qos(max_delay_ms=2.0, min_throughput_mbps=10.0, max_ber=1e-3))
    for i in range(3)
]
PROMPTS = [f"{PREFIX}task {i}: " for i in range(3)]


class FakeTwin:
    """A deterministic stand-in for the twin: the reward of eq. (2) as a function of the text alone."""

    def __init__(self) -> None:
        self.calls = 0

    def score(self, tasks: Sequence[Task], texts: Sequence[str]) -> list[Score]:
        self.calls += len(texts)
        scores = []
        for text in texts:
            reward = max(-1.0, min(1.0, 0.25 * (text.count("a") - text.count("b"))))
            scores.append(Score(reward=reward, satisfied=reward > 0, valid=True))
        return scores

    def text_reward(self, task: Task, text: str) -> float:
        return self.score([task], [text])[0].reward


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 2-layer llama and a one-token-per-character tokenizer, saved as a base checkpoint folder."""
    vocab = {EOS: 0, **{c: i + 1 for i, c in enumerate(CHARACTERS)}}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))  # no merges: one token per character
    backend.add_special_tokens([EOS])
    backend.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token=EOS, pad_token=EOS)
    model = random_llama(
        len(vocab), max_position_embeddings=256, bos_token_id=None, eos_token_id=0, pad_token_id=0,
        tie_word_embeddings=False,
    )  # fmt: skip
    with torch.no_grad():
        model.lm_head.weight[0] *= 6  # answers end at varied lengths, not only at max_new_tokens
    directory = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def tiny_policy(tiny_dir: Path) -> Policy:
    return load_policy(tiny_dir, LoraSettings(r=4, alpha=8))


def tiny_ppo_args(**overrides: object) -> PpoArgs:
    settings: dict = dict(
        k=2,
        tasks_per_step=2,
        max_new_tokens=8,
        minibatch_size=4,  # 4 answers per step: one minibatch of two micro-batches
        microbatch_size=2,
        ppo_epochs=2,
        learning_rate=1e-2,
        tw_max_answers=2,
        constrained=0,  # a character vocabulary cannot write the answer grammar (test_grammar.py covers it)
    )
    return PpoArgs(**{**settings, **overrides})


def test_sampling_is_deterministic_per_seed_and_masks_the_answers(tiny_dir: Path) -> None:
    policy = tiny_policy(tiny_dir)
    first = sample(policy, PROMPTS, k=3, max_new_tokens=8, temperature=1.0, seed=7, constrained=False)
    again = sample(policy, PROMPTS, k=3, max_new_tokens=8, temperature=1.0, seed=7, constrained=False)
    other = sample(policy, PROMPTS, k=3, max_new_tokens=8, temperature=1.0, seed=8, constrained=False)
    assert torch.equal(first.sequences.input_ids, again.sequences.input_ids)
    assert torch.equal(first.logprobs, again.logprobs) and first.texts == again.texts
    assert first.texts != other.texts

    seqs = first.sequences
    assert first.prompt_index == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert policy.tokenizer.decode(seqs.prefix_ids) == PREFIX + "task "  # the tokens all prompts share
    lengths = [len(ids) for ids in first.answer_ids]
    assert min(lengths) < 8 and max(lengths) == 8, "the fixture should give answers of varied length"
    for row, ids in enumerate(first.answer_ids):
        generated = seqs.input_ids[row, seqs.prompt_len :]
        assert generated[: len(ids)].tolist() == ids
        # the mask covers the answer and the end-of-text token that closed it, nothing after
        expected = min(len(ids) + 1, 8)
        assert seqs.response_mask[row].tolist() == [1.0] * expected + [0.0] * (seqs.answer_len - expected)
        if len(ids) < 8:
            assert generated[len(ids)] == policy.tokenizer.eos_token_id
        assert (first.logprobs[row, expected:] == 0).all() and (first.logprobs[row, :expected] < 0).all()
        assert first.texts[row] == policy.tokenizer.decode(ids)


def test_the_shared_prefix_and_micro_batches_change_neither_logits_nor_gradients(tiny_dir: Path) -> None:
    policy = tiny_policy(tiny_dir)
    with torch.no_grad():
        for p in policy.adapter_parameters().values():
            p.copy_(torch.randn_like(p) * 0.1)  # nonzero adapters, so the gradient reaches both A and B
    seqs = sample(
        policy, PROMPTS, k=2, max_new_tokens=8, temperature=1.0, seed=3, constrained=False
    ).sequences  # 6 rows
    rows = len(seqs.input_ids)
    flat = Sequences(  # the same batch with the prefix written out in every row
        prefix_ids=seqs.prefix_ids[:0],
        input_ids=torch.cat([seqs.prefix_ids.expand(rows, -1), seqs.input_ids], dim=1),
        attention_mask=torch.cat([torch.ones(rows, len(seqs.prefix_ids)), seqs.attention_mask], 1).long(),
        prompt_len=len(seqs.prefix_ids) + seqs.prompt_len,
        response_mask=seqs.response_mask,
    )
    with torch.no_grad():
        shared, flat_logits = forward(policy, seqs)[0], forward(policy, flat)[0]
    torch.testing.assert_close(shared, flat_logits)

    def adapter_grads() -> dict[str, torch.Tensor]:
        grads = {n: p.grad.clone() for n, p in policy.adapter_parameters().items()}
        policy.model.zero_grad()
        return grads

    sft_loss(policy, flat).backward()  # the whole batch in one pass
    whole = adapter_grads()
    assert any(g.abs().sum() > 0 for n, g in whole.items() if "lora_A" in n)
    # micro-batches of 4 + 2 rows, the prefix run once and its gradient sent back once
    backward_in_microbatches(policy, seqs, list(range(rows)), 4, lambda _, mb, prefix: sft_loss(policy, mb, prefix))
    for name, grad in adapter_grads().items():
        torch.testing.assert_close(grad, whole[name], msg=name)


def test_one_prompts_answers_run_their_prompt_once_and_change_neither_logits_values_nor_gradients(
    tiny_dir: Path,
) -> None:
    policy = tiny_policy(tiny_dir)
    with torch.no_grad():
        for p in policy.adapter_parameters().values():
            p.copy_(torch.randn_like(p) * 0.1)
    seqs = sample(policy, PROMPTS, k=3, max_new_tokens=8, temperature=1.0, seed=4, constrained=False).sequences
    one_task = seqs.select([3, 4, 5])  # the answers of prompt 1: one prompt, three answers of their own
    assert len({tuple(row) for row in one_task.input_ids[:, one_task.prompt_len :].tolist()}) > 1
    no_prefix = Sequences(
        prefix_ids=one_task.prefix_ids[:0],
        input_ids=torch.cat([one_task.prefix_ids.expand(3, -1), one_task.input_ids], dim=1),
        attention_mask=torch.cat([torch.ones(3, len(one_task.prefix_ids)), one_task.attention_mask], 1).long(),
        prompt_len=len(one_task.prefix_ids) + one_task.prompt_len,
        response_mask=one_task.response_mask,
    )

    def run(batch: Sequences, share: bool) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        logits, values = forward(policy, batch, 0.7, share_prompt=share)
        (logits.log_softmax(-1)[..., :5].sum() + values.sum()).backward()
        grads = {n: p.grad.clone() for n, p in policy.adapter_parameters().items()}
        policy.model.zero_grad()
        return logits.detach(), values.detach(), grads

    for batch in (one_task, no_prefix):
        logits, values, grads = run(batch, share=True)
        logits_rows, values_rows, grads_rows = run(batch, share=False)
        torch.testing.assert_close(logits, logits_rows)
        torch.testing.assert_close(values, values_rows)
        for name, grad in grads.items():
            torch.testing.assert_close(grad, grads_rows[name], msg=name)


def test_grouped_minibatches_keep_each_prompts_answers_together_in_order() -> None:
    batches = minibatches(12, 8, torch.Generator().manual_seed(0), group=4)
    assert sorted(r for rows in batches for r in rows) == list(range(12))
    for rows in batches:
        for start in range(0, len(rows), 4):
            first = rows[start]
            assert first % 4 == 0 and rows[start : start + 4] == list(range(first, first + 4))
    assert minibatches(12, 8, torch.Generator().manual_seed(0), group=5) == minibatches(
        12, 8, torch.Generator().manual_seed(0)
    ), "groups that do not divide fall back to rows"


def test_a_rejection_sampling_round_keeps_exactly_the_passing_answers_and_sft_lowers_their_loss(
    tiny_dir: Path,
) -> None:
    policy, twin = tiny_policy(tiny_dir), FakeTwin()
    args = RsArgs(
        k=4, max_new_tokens=8, temperature=1.0, sft_epochs=3, minibatch_size=4, microbatch_size=3, constrained=0
    )
    args.learning_rate = 1e-2  # a tiny model learns visibly in 3 epochs
    optimizer = make_optimizer(policy, args.learning_rate)
    # the round's own sample, drawn again with its seed, says which answers pass
    seed = derive_seed(args.seed, "rs", 1)
    everything = sample(
        policy, PROMPTS, args.k, args.max_new_tokens, args.temperature, seed, score=False, constrained=False
    )
    passing = {(everything.prompt_index[i], t) for i, t in enumerate(everything.texts) if t.count("a") > t.count("b")}
    assert 0 < len(passing) < len(everything.texts)

    metrics, kept = rs_round(policy, optimizer, TASKS, PROMPTS, twin, args, 1, best_success_rate=1.0)
    assert metrics["rs/stopped"] and metrics["losses/sft_last_epoch"] is None  # not above the best: no SFT
    assert set(zip(kept.prompt_index, kept.texts, strict=True)) == passing
    assert len(kept.texts) == len(passing) == metrics["rs/kept"]
    satisfied = sum(t.count("a") > t.count("b") for t in everything.texts)
    assert metrics["charts/success_rate"] == satisfied / len(everything.texts)

    with torch.no_grad():
        before = sft_loss(policy, kept).item()
    metrics, kept_again = rs_round(policy, optimizer, TASKS, PROMPTS, twin, args, 1)
    assert not metrics["rs/stopped"] and kept_again.texts == kept.texts
    with torch.no_grad():
        after = sft_loss(policy, kept).item()
    assert after < before - 0.1, (before, after)
    assert metrics["losses/sft_last_epoch"] < metrics["losses/sft_first_epoch"]


def test_a_ppo_iteration_trains_only_the_adapters_and_the_value_head_and_refreshes_the_reference(
    tiny_dir: Path,
) -> None:
    policy, twin = tiny_policy(tiny_dir), FakeTwin()
    args = tiny_ppo_args(ref_refresh_steps=2, critic_warmup_steps=0)
    optimizer = make_optimizer(policy, args.learning_rate)
    base = {n: p.detach().clone() for n, p in policy.model.named_parameters() if "lora_" not in n}
    adapters = {n: p.detach().clone() for n, p in policy.adapter_parameters().items()}
    head = policy.value_head.linear.weight.detach().clone()
    probe = sample(policy, PROMPTS, k=1, max_new_tokens=8, temperature=1.0, seed=99, constrained=False).sequences
    with torch.no_grad():
        initial_logits, _ = forward(policy, probe)

    metrics = ppo_iteration(policy, optimizer, TASKS, PROMPTS, twin, args, step=1)
    for key in ("losses/policy", "losses/value", "losses/entropy", "losses/kl_ref", "losses/clip_fraction"):
        assert torch.isfinite(torch.tensor(metrics[key])), key
    assert metrics["token_weights/answers"] == 2 and metrics["token_weights/reward_calls"] > 0
    assert metrics["losses/kl_ref"] > 0  # the actor moved away from its reference during the epochs
    assert all(torch.equal(p, base[n]) for n, p in policy.model.named_parameters() if "lora_" not in n)
    assert all(not torch.equal(p, adapters[n]) for n, p in policy.adapter_parameters().items() if "lora_B" in n)
    assert not torch.equal(policy.value_head.linear.weight, head)
    # step 1 of ref_refresh_steps = 2: the reference is still the initial adapters
    assert not metrics["reference_refreshed"]
    assert all(torch.equal(policy.reference[n], adapters[n]) for n in adapters)
    with using_reference(policy):
        reference_logits, _ = forward(policy, probe)
    with torch.no_grad():
        actor_logits, _ = forward(policy, probe)
    torch.testing.assert_close(reference_logits, initial_logits)  # π_ref is the policy as it was
    assert not torch.allclose(actor_logits, initial_logits)

    metrics = ppo_iteration(policy, optimizer, TASKS, PROMPTS, twin, args, step=2)
    assert metrics["reference_refreshed"]
    assert all(torch.equal(policy.reference[n], p) for n, p in policy.adapter_parameters().items())


def test_during_the_critic_warm_up_only_the_value_head_and_the_shared_adapters_learn_the_value(
    tiny_dir: Path,
) -> None:
    policy, twin = tiny_policy(tiny_dir), FakeTwin()
    args = tiny_ppo_args(critic_warmup_steps=1)
    optimizer = make_optimizer(policy, args.learning_rate)
    head = policy.value_head.linear.weight.detach().clone()
    metrics = ppo_iteration(policy, optimizer, TASKS, PROMPTS, twin, args, step=1)
    assert metrics["critic_warmup"]
    assert not torch.equal(policy.value_head.linear.weight, head)  # eq. (7) trained the critic
    metrics = ppo_iteration(policy, optimizer, TASKS, PROMPTS, twin, args, step=2)
    assert not metrics["critic_warmup"] and metrics["losses/kl_ref"] > 0  # then the policy moves too


def test_a_critic_off_the_backbone_warms_up_without_moving_the_policy(tiny_dir: Path) -> None:
    policy, twin = tiny_policy(tiny_dir), FakeTwin()
    args = tiny_ppo_args(critic_warmup_steps=1, critic_backbone=0)
    optimizer = make_optimizer(policy, args.learning_rate)
    head = policy.value_head.linear.weight.detach().clone()
    adapters = {n: p.detach().clone() for n, p in policy.adapter_parameters().items()}
    metrics = ppo_iteration(policy, optimizer, TASKS, PROMPTS, twin, args, step=1)
    assert metrics["critic_warmup"] and not torch.equal(policy.value_head.linear.weight, head)
    assert all(torch.equal(p, adapters[n]) for n, p in policy.adapter_parameters().items())  # π untouched
    metrics = ppo_iteration(policy, optimizer, TASKS, PROMPTS, twin, args, step=2)
    assert metrics["losses/kl_ref"] > 0  # eq. (6) moves it once the warm-up is over


def test_a_group_baseline_needs_no_warm_up(tiny_dir: Path) -> None:
    policy, twin = tiny_policy(tiny_dir), FakeTwin()
    args = tiny_ppo_args(critic_warmup_steps=3, critic_backbone=0, baseline="group-std")
    optimizer = make_optimizer(policy, args.learning_rate)
    adapters = {n: p.detach().clone() for n, p in policy.adapter_parameters().items()}
    metrics = ppo_iteration(policy, optimizer, TASKS, PROMPTS, twin, args, step=1)
    assert not metrics["critic_warmup"]
    assert any(not torch.equal(p, adapters[n]) for n, p in policy.adapter_parameters().items())  # π moved at once


def run_cli(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m sixg_learner.training.train …` with the fake twin and the plain test prompts."""
    monkeypatch.setattr(train, "TwinScorer", FakeTwin)
    monkeypatch.setattr(train, "chat_prompts", lambda tasks, policy: [PROMPTS[int(t.id[1:])] for t in tasks])
    assert train.main(args) == 0


def read_metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_resuming_a_checkpoint_continues_exactly_as_an_uninterrupted_run(
    tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks_file = tmp_path / "tasks.jsonl"
    tasks_file.write_text("".join(t.model_dump_json() + "\n" for t in TASKS))
    common = ["--tasks", str(tasks_file), "--steps", "3", "--k", "2", "--tasks-per-step", "2", "--max-new-tokens", "8"]
    common += [
        "--minibatch-size",
        "4",
        "--microbatch-size",
        "2",
        "--learning-rate",
        "0.01",
        "--tw-max-answers",
        "1",
        "--lora-r",
        "4",
    ]
    common += ["--save-every", "1", "--ref-refresh-steps", "2", "--constrained", "0"]
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    run_cli(["ppo", "--init", str(tiny_dir), "--out", str(straight), *common], monkeypatch)
    run_cli(["ppo", "--init", str(straight / "ppo-step-000001"), "--out", str(resumed), *common], monkeypatch)
    assert "ppo    2" in capsys.readouterr().out  # progress lines

    uninterrupted, continued = read_metrics(straight), read_metrics(resumed)
    assert [m["step"] for m in uninterrupted] == [1, 2, 3]
    assert [m["step"] for m in continued] == [2, 3]  # starts at step + 1: nothing is done twice

    def numbers(metrics: dict) -> dict:
        return {k: v for k, v in metrics.items() if not k.startswith("time/") and k != "checkpoint"}

    assert numbers(continued[0]) == numbers(uninterrupted[1])
    assert numbers(continued[1]) == numbers(uninterrupted[2])
    a, b = load_checkpoint(straight / "ppo-step-000003"), load_checkpoint(resumed / "ppo-step-000003")
    for name, p in a.policy.adapter_parameters().items():
        assert torch.equal(p, b.policy.adapter_parameters()[name])
    assert torch.equal(a.policy.value_head.linear.weight, b.policy.value_head.linear.weight)
    assert all(torch.equal(a.policy.reference[n], b.policy.reference[n]) for n in a.policy.reference)


def test_a_checkpoint_carries_its_lineage_and_exports_a_merged_model(tiny_dir: Path, tmp_path: Path) -> None:
    policy, twin = tiny_policy(tiny_dir), FakeTwin()
    args = RsArgs(k=4, max_new_tokens=8, temperature=1.0, rounds=1, learning_rate=1e-2, constrained=0)
    tasks_file = tmp_path / "tasks.jsonl"
    ctx = train.RunContext(TASKS, PROMPTS, twin, tmp_path / "out", tasks_file, "ab" * 32)
    history = train.run_rejection_sampling(policy, make_optimizer(policy, args.learning_rate), ctx, args)
    directory = Path(history[0]["checkpoint"])
    meta = json.loads((directory / CHECKPOINT_FILE).read_text())
    assert meta["step"] == 1 and meta["phase"] == "rs" and meta["config"]["k"] == 4 and meta["lora"]["r"] == 4
    lineage = meta["lineage"]
    assert lineage["base"]["dir"] == str(tiny_dir) and len(lineage["base"]["weights_sha256"]) == 64
    assert lineage["dataset"] == {"file": str(tasks_file), "sha256": "ab" * 32}
    assert lineage["parent"] is None and lineage["step"] == 1 and lineage["phase"] == "rs"
    assert sum(f.stat().st_size for f in directory.iterdir()) < 2 * sum(f.stat().st_size for f in tiny_dir.iterdir())

    exported = merge_and_export(directory, tmp_path / "merged")
    merged = AutoModelForCausalLM.from_pretrained(exported)
    probe = sample(policy, PROMPTS[:1], k=1, max_new_tokens=8, temperature=1.0, seed=0, constrained=False)
    seqs = select_rollout(probe, [0]).sequences
    ids = torch.cat([seqs.prefix_ids.unsqueeze(0), seqs.input_ids], dim=1)
    with torch.no_grad():
        torch.testing.assert_close(merged(input_ids=ids).logits, policy.model(input_ids=ids).logits)
    assert json.loads((exported / "maestro_lineage.json").read_text())["step"] == 1
    assert json.loads((exported / "maestro_lineage.json").read_text())["prompt"] == "plain"
    assert meta["prompt"] == "plain" and load_checkpoint(directory).policy.prompt == "plain"


def test_a_checkpoint_keeps_the_prompt_it_was_trained_with(tiny_dir: Path, tmp_path: Path) -> None:
    policy = tiny_policy(tiny_dir)
    policy.prompt = "link-budget"
    optimizer = make_optimizer(policy, 1e-3)
    lineage = {"phase": "distill", "base": {"dir": str(tiny_dir), "weights_sha256": policy.base_weights_sha256}}
    save_checkpoint(tmp_path / "ckpt", policy, optimizer, 1, {}, lineage)
    loaded = load_checkpoint(tmp_path / "ckpt").policy
    assert loaded.prompt == "link-budget"
    loaded.tokenizer.chat_template = "{% for m in messages %}{{ m['content'] }}\n{% endfor %}"  # the tiny one has none
    assert "Link budget:" in chat_prompts(TASKS[:1], loaded)[0]
    # checkpoints written before the field existed were trained with the plain prompt
    meta = json.loads((tmp_path / "ckpt" / CHECKPOINT_FILE).read_text())
    del meta["prompt"]
    (tmp_path / "ckpt" / CHECKPOINT_FILE).write_text(json.dumps(meta))
    assert load_checkpoint(tmp_path / "ckpt").policy.prompt == "plain"


def test_the_prompt_flag_is_checked() -> None:
    assert DistillArgs(prompt="link-budget", targets="rule-repair").prompt == "link-budget"
    with pytest.raises(ValueError, match="prompt must be one of plain, link-budget"):
        DistillArgs(prompt="hinted")
    with pytest.raises(ValueError, match="targets must be one of witness, repair, rule-repair"):
        DistillArgs(targets="rules")
    cli = train.build_parser().parse_args(
        ["distill", "--base", "b", "--tasks", "t", "--out", "o", "--prompt", "link-budget"]
    )
    assert cli.prompt == "link-budget"


def test_rs_rounds_stop_when_the_dev_completion_stops_improving_and_name_the_best(
    tiny_dir: Path, tmp_path: Path
) -> None:
    policy, twin = tiny_policy(tiny_dir), FakeTwin()
    args = RsArgs(k=4, max_new_tokens=8, temperature=1.0, rounds=4, learning_rate=1e-2, constrained=0)
    ctx = train.RunContext(
        TASKS, PROMPTS, twin, tmp_path / "out", tmp_path / "t.jsonl", "ab" * 32,
        dev_tasks=TASKS[:2], dev_prompts=PROMPTS[:2], max_new_tokens=8, constrained=False,
    )  # fmt: skip
    history = train.run_rejection_sampling(policy, make_optimizer(policy, args.learning_rate), ctx, args)
    lines = [json.loads(line) for line in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()]
    assert lines[0]["rs/dev_baseline"] and "dev/completion" in lines[0]  # the starting model, measured first
    trained = [m for m in history if not m["rs/stopped"]]
    assert trained and all("dev/completion" in m for m in trained)
    improved = [m for m in trained if m["rs/dev_improved"]]
    best_file = tmp_path / "out" / "best.json"
    if improved:
        assert json.loads(best_file.read_text())["checkpoint"] == improved[-1]["checkpoint"]
    else:
        assert not best_file.exists(), "no round beat the starting model: no checkpoint is named best"
    # the run ends at the first round that does not improve on the dev split (or at the round limit)
    assert all(m["rs/dev_improved"] for m in trained[:-1])


def test_a_checkpoint_of_the_same_phase_resumes_unless_a_fresh_run_is_asked() -> None:
    assert train.resumes("distill", "distill", fresh=False)
    assert not train.resumes("distill", "distill", fresh=True), "--fresh: a new run from its adapters"
    assert not train.resumes("rs", "distill", fresh=False), "another phase's checkpoint only gives the adapters"
