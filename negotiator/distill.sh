#!/usr/bin/env bash
# `npm run negotiator:distill [-- OUT_DIR]`: the shipped negotiator, reproduced (docs/NEGOTIATOR.md).
#
#   1. the rule plays 240 training scenarios (≤ 3 parties) through the real workflow, every turn recorded;
#   2. selection keeps every MAESTRO turn and 400 of the BO turns (seeded);
#   3. the learner's SFT (the 6G-LLM's code path: LoRA, loss on the answer tokens), one epoch;
#   4. the checkpoint is exported to a GGUF the model server can serve (MAESTRO_CHAT_GGUF).
# About 20 minutes on two cores; `ship pack` then commits it (the command is printed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-data/negotiator/runs/distill-rule}
# the trainable base: the registry GGUF converted once (~40 s)
[ -f data/models/smollm2-135m-hf/config.json ] || .venv/bin/python -m sixg_learner.export.convert
npm run -s negotiator:rollout -- --split train --n 240 --max-parties 3 --policy rule --tag rule-train3 --fresh
npm run -s negotiator:select -- --episodes data/negotiator/rollouts/rule-train3.jsonl --max-bo-turns 400 \
  --out data/negotiator/distill-rule.jsonl
rm -rf "$out"
.venv/bin/python -m sixg_learner.training.train sft --data data/negotiator/distill-rule.jsonl \
  --base data/models/smollm2-135m-hf --out "$out" --epochs 1 --learning-rate 3e-4 \
  --minibatch-size 8 --microbatch-size 8 --eval-size 24 --threads 2 --seed 1
.venv/bin/python -m sixg_learner.training.export_chat --checkpoint "$out/sft-epoch-1" \
  --out data/models/negotiator-distilled.gguf
echo "serve it: MAESTRO_CHAT_GGUF=data/models/negotiator-distilled.gguf MAESTRO_CHAT_ALIAS=negotiator-distilled npm run model-server"
echo "ship it:  .venv/bin/python -m sixg_learner.export.ship pack --checkpoint $out/sft-epoch-1 --evaluation results/negotiator-distilled-heldout3.json --out learner/models/negotiator --reproduce 'npm run negotiator:distill'"
