"""Domain SFT on a tiny random llama: the layout, the loss falling, the CLI's checkpoints and the hand-over to RS.

The tiny model is test_train.py's (2 layers, hidden 32, one token per character) with a ChatML-like
chat template; its vocabulary is the characters of the three Q&A pairs below.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from sixg_learner.generation.policy import LoraSettings, load_policy
from sixg_learner.tasks.task import file_sha256
from sixg_learner.training import domain_sft, train
from sixg_learner.training.args import SftArgs
from sixg_learner.training.checkpoints import load_checkpoint
from sixg_learner.training.domain_sft import encode_pairs, learning_rate_at, sft_step, split_pairs
from sixg_learner.training.updates import make_optimizer
from tiny import random_llama
from tokenizers import Tokenizer, decoders, models
from transformers import PreTrainedTokenizerFast

EOS, BOS = "<|im_end|>", "<|im_start|>"
PAIRS = [
    ("What is the packet delay budget of 5QI 1?", "100 ms."),
    ("How many PRBs does a 20 MHz channel at 30 kHz SCS have?", "51 PRBs."),
    ("Which modulation does MCS 13 of table 1 use?", "16QAM (Q_m = 4)."),
]
RECORDS = [
    {"id": f"p{i}", "messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}], "source": "t"}
    for i, (q, a) in enumerate(PAIRS)
]
TEMPLATE = (
    "{% for m in messages %}" + BOS + "{{ m['role'] }}\n{{ m['content'] }}" + EOS + "\n{% endfor %}"
    "{% if add_generation_prompt %}" + BOS + "assistant\n{% endif %}"
)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    characters = sorted({c for q, a in PAIRS for c in q + a} | set("userassistant\n"))
    vocab = {EOS: 0, BOS: 1, **{c: i + 2 for i, c in enumerate(characters)}}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.add_special_tokens([EOS, BOS])
    backend.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token=EOS, pad_token=EOS, bos_token=BOS)
    tokenizer.chat_template = TEMPLATE
    model = random_llama(
        len(vocab), max_position_embeddings=256, bos_token_id=None, eos_token_id=0, pad_token_id=0,
        tie_word_embeddings=False,
    )  # fmt: skip
    directory = tmp_path_factory.mktemp("tiny-chat-llama")
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "qa.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    return path


def test_pairs_are_laid_out_behind_their_shared_prefix_with_the_answer_ids_of_the_whole_chat(tiny_dir: Path) -> None:
    policy = load_policy(tiny_dir, LoraSettings(r=4, alpha=8))
    tok = policy.tokenizer
    seqs = encode_pairs(tok, RECORDS)
    assert tok.decode(seqs.prefix_ids) == f"{BOS}user\n"  # shared by every prompt
    for row, record in enumerate(RECORDS):
        whole = tok(tok.apply_chat_template(record["messages"], tokenize=False), add_special_tokens=False)["input_ids"]
        ids = seqs.prefix_ids.tolist() + seqs.input_ids[row][seqs.attention_mask[row].bool()].tolist()
        assert whole[: len(ids)] == ids  # prompt + answer + <|im_end|> = the template's ids for the conversation
        answer = seqs.input_ids[row, seqs.prompt_len :][seqs.response_mask[row].bool()].tolist()
        assert tok.decode(answer[:-1]) == record["messages"][-1]["content"] and answer[-1] == tok.eos_token_id
    assert seqs.response_mask.sum(1).tolist() == [len(a) + 1 for _, a in PAIRS]


def test_sft_lowers_the_answer_loss(tiny_dir: Path) -> None:
    policy = load_policy(tiny_dir, LoraSettings(r=4, alpha=32))  # a random 2-layer model learns slowly: scale 8
    optimizer = make_optimizer(policy, 1e-2)
    data = encode_pairs(policy.tokenizer, RECORDS)
    base = {name: p.detach().clone() for name, p in policy.model.named_parameters() if not p.requires_grad}
    args = SftArgs(microbatch_size=2)
    losses = [sft_step(policy, optimizer, data, [0, 1, 2], args) for _ in range(20)]
    assert all(b < a for a, b in zip(losses[:3], losses[1:4], strict=True)), losses
    assert losses[-1] < losses[0] - 0.2, losses  # ≈ 3.96 → 3.64 (≈ ln 45 = 3.8: from uniform, it learns)
    frozen = {name: p for name, p in policy.model.named_parameters() if not p.requires_grad}
    assert all(torch.equal(base[name], p) for name, p in frozen.items())  # only the adapters train
    assert torch.count_nonzero(policy.value_head.linear.weight) == 0  # the critic has no part here


def test_the_learning_rate_decays_linearly_and_the_split_is_seeded() -> None:
    args = SftArgs(learning_rate=1e-3, final_lr_fraction=0.1)
    assert learning_rate_at(args, 1, 10) == 1e-3
    assert learning_rate_at(args, 10, 10) == pytest.approx(1e-4)
    assert learning_rate_at(args, 1, 1) == 1e-3
    records = [{"id": str(i)} for i in range(10)]
    train_a, held_a = split_pairs(records, 3, 4, seed=1)
    assert (len(train_a), len(held_a)) == (4, 3)
    assert not {r["id"] for r in train_a} & {r["id"] for r in held_a}
    assert split_pairs(records, 3, 4, seed=1) == (train_a, held_a)
    with pytest.raises(ValueError, match="no pairs left"):
        split_pairs(records, 10, None, seed=1)


def test_the_cli_writes_sft_checkpoints_that_rejection_sampling_starts_from(
    tiny_dir: Path, data_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "run"
    common = ["--data", str(data_file), "--out", str(out), "--lora-r", "4", "--lora-alpha", "8", "--threads", "1"]
    common += ["--learning-rate", "0.01", "--minibatch-size", "2", "--microbatch-size", "1", "--eval-size", "1"]
    common += ["--eval-generate", "1", "--max-new-tokens", "4"]
    assert train.main(["sft", "--base", str(tiny_dir), "--epochs", "2", *common]) == 0
    printed = capsys.readouterr().out
    assert "sft     1/2  epoch 1  loss" in printed and '"last_checkpoint"' in printed

    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [m for m in lines if "losses/sft" in m]
    assert [m["step"] for m in steps] == [1, 2] and all(m["phase"] == "sft" for m in lines)
    assert lines[0]["epoch"] == 0 and "eval/loss" in lines[0]  # the held-out loss before training
    epochs = [m for m in lines if "checkpoint" in m]
    assert [m["epoch"] for m in epochs] == [1, 2] and "eval/exact_match" in epochs[-1]

    checkpoint = load_checkpoint(out / "sft-epoch-2")
    assert (checkpoint.phase, checkpoint.step) == ("sft", 2)
    assert checkpoint.lineage["dataset"] == {"file": str(data_file), "sha256": file_sha256(data_file)}
    assert checkpoint.lineage["parent"] == str(out / "sft-epoch-1")
    assert checkpoint.config["train_pairs"] == 2 and checkpoint.config["eval_pairs"] == 1
    trained = {n: p.detach().clone() for n, p in checkpoint.policy.adapter_parameters().items()}
    assert any(torch.count_nonzero(p) for n, p in trained.items() if "lora_B" in n)  # B started at 0

    # resuming this phase: the next epoch only
    assert train.main(["sft", "--base", str(out / "sft-epoch-1"), "--epochs", "2", *common]) == 0
    again = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()][len(lines) :]
    assert [m["epoch"] for m in again if "checkpoint" in m] == [2]
    assert [m["losses/sft"] for m in again if "losses/sft" in m] == [m["losses/sft"] for m in steps if m["epoch"] == 2]

    # `train rs --base sft-epoch-2`: the adapters carry over, π_ref = that model, round 1, a fresh optimizer
    seen = {}

    def fake_rs(policy, optimizer, ctx, args, start_round, parent, best, best_dev=None):  # noqa: ANN001, ANN202
        seen.update(policy=policy, optimizer=optimizer, start=start_round, parent=parent, best=best)
        return []

    monkeypatch.setattr(train, "run_rejection_sampling", fake_rs)
    monkeypatch.setattr(train, "chat_prompts", lambda tasks, policy: ["q"] * len(tasks))
    tasks = Path(__file__).parent / "fixtures" / "tasks-small.jsonl"
    sft_dir = out / "sft-epoch-2"
    assert train.main(["rs", "--tasks", str(tasks), "--base", str(sft_dir), "--out", str(tmp_path / "rs")]) == 0
    policy = seen["policy"]
    assert (seen["start"], seen["parent"], seen["best"]) == (1, sft_dir, -1.0)
    for name, p in policy.adapter_parameters().items():
        assert torch.equal(p, trained[name])
        assert torch.equal(policy.reference[name], trained[name])
    assert not seen["optimizer"].state  # not the SFT optimizer's moments


def test_the_cli_continues_a_shipped_model_from_its_adapters_at_epoch_1(
    tiny_dir: Path, data_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a shipped folder (adapters + manifest, `ship pack`) is not a checkpoint: its adapters train further from
    # epoch 1 with a fresh optimizer (session 29 taught the shipped negotiator a new teacher so)
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    policy = load_policy(tiny_dir, LoraSettings(r=4, alpha=8))
    with torch.no_grad():
        for name, p in policy.adapter_parameters().items():
            if "lora_B" in name:
                p.fill_(0.01)  # fresh adapters start with B = 0: these are recognisably the shipped ones
    monkeypatch.setattr(domain_sft, "is_shipped", lambda directory: Path(directory) == shipped)
    monkeypatch.setattr(domain_sft, "shipped_policy", lambda directory: policy)
    out = tmp_path / "run"
    args = ["sft", "--base", str(shipped), "--data", str(data_file), "--out", str(out), "--epochs", "1"]
    args += ["--lora-r", "4", "--lora-alpha", "8", "--threads", "1", "--learning-rate", "1e-5"]
    args += ["--minibatch-size", "2", "--microbatch-size", "1", "--eval-size", "1", "--eval-generate", "0"]
    assert train.main(args) == 0
    checkpoint = load_checkpoint(out / "sft-epoch-1")
    assert (checkpoint.phase, checkpoint.step) == ("sft", 1)
    b = [p for name, p in checkpoint.policy.adapter_parameters().items() if "lora_B" in name]
    assert b and all(torch.allclose(p, torch.full_like(p, 0.01), atol=1e-3) for p in b)
