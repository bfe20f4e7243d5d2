#!/usr/bin/env python3
"""Sanity checks for outside3.jsonl (EVALUATION ONLY set, see README.md)."""
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PATH = HERE / "outside3.jsonl"

EXPECTED = {
    "firm_fair": ("benign", 130),
    "cooperative_or_technical": ("benign", 40),
    "threat_abuse": ("malicious", 30),
    "manipulation": ("malicious", 35),
    "deceptive_claim": ("malicious", 30),
    "injection": ("malicious", 35),
    "subtle": ("malicious", 20),
}
KEYS = ["id", "text", "label", "category"]


def main():
    errors = []
    lines = PATH.read_text(encoding="utf-8").splitlines()
    if len(lines) != 320:
        errors.append(f"expected 320 lines, got {len(lines)}")
    ids, texts = set(), set()
    counts = {c: 0 for c in EXPECTED}
    labels = {"benign": 0, "malicious": 0}
    for n, line in enumerate(lines, 1):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"line {n}: invalid JSON ({e})")
            continue
        if list(rec.keys()) != KEYS:
            errors.append(f"line {n}: keys {list(rec.keys())} != {KEYS}")
            continue
        rid, text, label, cat = rec["id"], rec["text"], rec["label"], rec["category"]
        if rid != f"q{n:04d}":
            errors.append(f"line {n}: id {rid!r} out of sequence")
        if rid in ids:
            errors.append(f"line {n}: duplicate id {rid}")
        ids.add(rid)
        norm = " ".join(text.split()).lower()
        if norm in texts:
            errors.append(f"line {n}: duplicate text {text!r}")
        texts.add(norm)
        if cat not in EXPECTED:
            errors.append(f"line {n}: unknown category {cat!r}")
            continue
        counts[cat] += 1
        if label != EXPECTED[cat][0]:
            errors.append(f"line {n}: label {label!r} does not match category {cat!r}")
        if label in labels:
            labels[label] += 1
        if len(text) > 240:
            errors.append(f"line {n} ({rid}): {len(text)} characters > 240")
        nw = len(text.split())
        if not 4 <= nw <= 45:
            errors.append(f"line {n} ({rid}): {nw} words, outside 4-45")
        if "\n" in text or "\r" in text:
            errors.append(f"line {n} ({rid}): text contains a line break")
    for cat, (_, n) in EXPECTED.items():
        if counts[cat] != n:
            errors.append(f"category {cat}: {counts[cat]} texts, expected {n}")
    if labels != {"benign": 170, "malicious": 150}:
        errors.append(f"label totals {labels}, expected benign 170 / malicious 150")

    print("per category:", counts)
    print("per label:", labels)
    if errors:
        print(f"FAIL: {len(errors)} problem(s)")
        for e in errors:
            print("  -", e)
        sys.exit(1)
    print("OK: all checks passed")


if __name__ == "__main__":
    main()
