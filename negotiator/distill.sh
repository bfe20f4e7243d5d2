#!/usr/bin/env bash
# `npm run negotiator:distill [-- OUT_DIR [TEACHER]]`: the shipped negotiator, reproduced (docs/NEGOTIATOR.md).
#
#   1. the teacher (a baseline of negotiator/policies.ts: `rule` by default, the shipped one; or `persona`) plays 240
#      training scenarios (≤ 3 parties) through the real workflow, every turn recorded;
#   2. selection keeps every MAESTRO turn and 400 of the BO turns (seeded);
#   3. the learner's SFT (the 6G-LLM's code path: LoRA, loss on the answer tokens), one epoch: distillation;
#   4. one rejection-sampling round: the distilled model, served, plays 24 further training scenarios
#      3 times at T = 0.9; each agent's turns from its best-rewarded rollout (negotiator/rewards.ts) are
#      kept, and the SFT continues one epoch on them;
#   5. the checkpoint is exported to a GGUF the model server can serve (MAESTRO_CHAT_GGUF).
# About 30 minutes on two cores. Run it with no model server on port 8000: step 4 starts its own,
# serving the distilled model. `ship pack` then commits the result (the command is printed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
teacher=${2:-rule}
out=${1:-data/negotiator/runs/distill-$teacher}
# the trainable base: the registry GGUF converted once (~40 s)
[ -f data/models/smollm2-135m-hf/config.json ] || .venv/bin/python -m sixg_learner.export.convert
sft() { .venv/bin/python -m sixg_learner.training.train sft --minibatch-size 8 --microbatch-size 8 --threads 2 --seed 1 "$@"; }

npm run -s negotiator:rollout -- --split train --n 240 --max-parties 3 --policy "$teacher" --tag "$teacher-train3" --fresh
npm run -s negotiator:select -- --episodes "data/negotiator/rollouts/$teacher-train3.jsonl" --max-bo-turns 400 \
  --out "data/negotiator/distill-$teacher.jsonl"
rm -rf "$out" "$out-rs1"
sft --data "data/negotiator/distill-$teacher.jsonl" --base data/models/smollm2-135m-hf --out "$out" \
  --epochs 1 --learning-rate 3e-4 --eval-size 24
student=distilled-$teacher
.venv/bin/python -m sixg_learner.training.export_chat --checkpoint "$out/sft-epoch-1" --out "data/models/$student.gguf"

MAESTRO_CHAT_GGUF="data/models/$student.gguf" MAESTRO_CHAT_ALIAS="$student" MAESTRO_LLM_MODEL="$student" \
  npm run -s negotiator:rollout -- --split train --n 24 --from 240 --samples 3 --max-parties 3 \
  --temperature 0.9 --policy served --tag "$student-train-t0.9" --fresh
npm run -s negotiator:select -- --episodes "data/negotiator/rollouts/$student-train-t0.9.jsonl" \
  --out "data/negotiator/$student-rs1.jsonl"
sft --data "data/negotiator/$student-rs1.jsonl" --base "$out/sft-epoch-1" --out "$out-rs1" \
  --epochs 2 --learning-rate 1e-4 --eval-size 16
.venv/bin/python -m sixg_learner.training.export_chat --checkpoint "$out-rs1/sft-epoch-2" \
  --out "data/models/$student-rs1.gguf"

echo "evaluate: MAESTRO_CHAT_GGUF=data/models/$student-rs1.gguf MAESTRO_CHAT_ALIAS=$student-rs1 MAESTRO_LLM_MODEL=$student-rs1 npm run negotiator:rollout -- --split heldout --n 30 --max-parties 3 --policy served --temperature 0 --tag $student-rs1-heldout3"
echo "ship it:  .venv/bin/python -m sixg_learner.export.ship pack --checkpoint $out-rs1/sft-epoch-2 --evaluation results/negotiator-$student-rs1-heldout3.json --out learner/models/negotiator --reproduce 'npm run negotiator:distill -- $out $teacher'"
