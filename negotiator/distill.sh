#!/usr/bin/env bash
# `npm run negotiator:distill [-- OUT_DIR [TEACHER [MONITORING_GAMES [RS_ROUNDS [FOCUS]]]]]`: a trained negotiator,
# reproduced (docs/NEGOTIATOR.md). The shipped ones: `npm run negotiator:distill` (rule, learner/models/negotiator)
# and `npm run negotiator:distill -- data/negotiator/runs/distill-persona persona 120 0 1`
# (learner/models/negotiator-persona, MAESTRO_NEGOTIATOR=persona), and
# `npm run negotiator:distill -- data/negotiator/runs/distill-weighted weighted 120 0 1`
# (session 23's weighted negotiator: the ladder prompt), and since session 24
# `npm run negotiator:distill -- data/negotiator/runs/distill-weighted3 weighted3 120 0 1 data/negotiator/runs/distill-weighted-focus/sft-epoch-3`
# (learner/models/negotiator-weighted, MAESTRO_NEGOTIATOR=weighted: the three-round teacher's focus epoch on
# session 23's student). Session 29 taught the shipped student the split teacher, not shipped:
# `npm run negotiator:distill -- data/negotiator/runs/distill-weighted3split weighted3split 120 0 1 learner/models/negotiator-weighted`
# (session 30 reran it with the split named in the prompt's words, `ladder-split`, and stage 3f: its last checkpoint
# is learner/models/negotiator-split, MAESTRO_NEGOTIATOR=split; candidates are judged by
# `GATE_PROMPT=ladder-split npm run negotiator:gate`)
# (FROM_CHECKPOINT may be a shipped negotiator's folder; its epochs count from 1).
#
#   1. the teacher (a baseline of negotiator/policies.ts: `rule` by default; `persona` for the shipped one,
#      with 120 monitoring games) plays 240 training scenarios (≤ 3 parties) through the real workflow,
#      every turn recorded;
#   2. selection keeps every MAESTRO turn and 400 of the BO turns (seeded);
#   3. the learner's SFT (the 6G-LLM's code path: LoRA, loss on the answer tokens), one epoch: distillation;
#   3b. with MONITORING_GAMES > 0, the teacher also plays that many further training scenarios with the
#      arbitral unit in monitoring mode (flags, no warnings: how bench:personalities plays Fig. 3a), and the
#      SFT continues one epoch on them (every MAESTRO turn, 200 BO turns), so that a toxic party's moves are
#      not learned from the warning that always follows its threat under enforcement;
#   3c. with FOCUS=1, the SFT continues one more epoch on the teacher's turns the student gets wrong: the
#      disagreeable and toxic parties' turns from round 2 on (hold through the first proposal, take the second),
#      200 of them from the enforced games and all from the monitoring games, with 120 other BO turns and 60
#      MAESTRO turns rehearsed beside them (session 19: without it the student held on in round 3);
#   4. one rejection-sampling round (RS_ROUNDS=1, the default; 0 skips it: the persona negotiator, whose
#      Fig. 3a the round undid): the distilled model, served, plays further training scenarios 3 times
#      each at T = 0.9 (with monitoring games, 24 more in monitoring mode); each agent's turns from its
#      best-rewarded rollout (negotiator/rewards.ts) are kept, and the SFT continues one epoch on them;
#   FROM_CHECKPOINT (6th argument): a trained student to continue instead of stages 3 and 3b. The teacher's
#      games are still played (the focus epoch selects from them); only its focus epoch trains (FOCUS=1), on the
#      student's own LoRA and optimizer. Session 24 taught session 23's student the three-round teacher so.
#   5. the checkpoint is exported to a GGUF the model server can serve (MAESTRO_CHAT_GGUF).
# About 30 minutes on two cores (40 with monitoring games). Run it with no model server on port 8000:
# step 4 starts its own, serving the distilled model. `ship pack` then commits the result (the command
# is printed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
teacher=${2:-rule}
# the BO prompt the teacher's student reads: the weighted teachers' ladder (the split teacher's names the split
# band in words), every other teacher the plain prompt
prompt=plain
case "$teacher" in weighted | weighted3) prompt=ladder ;; weighted3split) prompt=ladder-split ;; esac
monitoring=${3:-0}
rounds=${4:-1}
focus=${5:-0}
from=${6:-}
from=${from%/}
# FROM_CHECKPOINT: a student's sft-epoch-N checkpoint, or a shipped negotiator (learner/models/…: its adapters, a fresh
# optimizer, epochs counted from 1)
if [ -n "$from" ] && [ ! -f "$from/manifest.json" ] &&
  { [ ! -f "$from/checkpoint.json" ] || ! [[ $from =~ sft-epoch-[0-9]+$ ]]; }; then
  echo "distill: FROM_CHECKPOINT must be a student's sft-epoch-N checkpoint directory or a shipped negotiator, got $from" >&2
  exit 2
fi
out=${1:-data/negotiator/runs/distill-$teacher}
# the trainable base: the registry GGUF converted once (~40 s)
[ -f data/models/smollm2-135m-hf/config.json ] || .venv/bin/python -m sixg_learner.export.convert
sft() { .venv/bin/python -m sixg_learner.training.train sft --minibatch-size 8 --microbatch-size 8 --threads 2 --seed 1 "$@"; }

npm run -s negotiator:rollout -- --split train --n 240 --max-parties 3 --policy "$teacher" --tag "$teacher-train3" --fresh
rm -rf "$out" "$out-monitoring" "$out-focus" "$out-firm" "$out-pairs" "$out-fix" "$out-rs1"
if [ -z "$from" ]; then
  npm run -s negotiator:select -- --episodes "data/negotiator/rollouts/$teacher-train3.jsonl" --max-bo-turns 400 \
    --out "data/negotiator/distill-$teacher.jsonl"
  sft --data "data/negotiator/distill-$teacher.jsonl" --base data/models/smollm2-135m-hf --out "$out" \
    --epochs 1 --learning-rate 3e-4 --eval-size 24
  stage="$out/sft-epoch-1" epoch=1
elif [ -f "$from/manifest.json" ]; then
  stage="$from" epoch=0 # a shipped negotiator: the focus epoch is the first of a new run
else
  # the checkpoint's directory is named sft-epoch-N: the focus epoch is N + 1
  stage="$from" epoch=${from##*sft-epoch-}
fi
# where each stage starts in the train split. --from is a scenario index, and the teacher's 240 scenarios with
# ≤ 3 parties run from index 0 to 425, so the later stages replay some of the teacher's scenarios (90 of the
# 120 monitoring games, and RS's), in another mode or sampled. All are train-split scenarios; the held-out
# split never enters. Kept as it is so that the shipped negotiators reproduce.
rs_from=240 rs_n=24
if [ "$monitoring" -gt 0 ]; then
  npm run -s negotiator:rollout -- --split train --from 264 --n "$monitoring" --max-parties 3 --policy "$teacher" \
    --arbitration monitoring --tag "$teacher-monitoring-train3" --fresh
  npm run -s negotiator:select -- --episodes "data/negotiator/rollouts/$teacher-monitoring-train3.jsonl" \
    --max-bo-turns 200 --out "data/negotiator/distill-$teacher-monitoring.jsonl"
  if [ -z "$from" ]; then
    sft --data "data/negotiator/distill-$teacher-monitoring.jsonl" --base "$stage" --out "$out-monitoring" \
      --epochs 2 --learning-rate 2e-4 --eval-size 16
    stage="$out-monitoring/sft-epoch-2" epoch=2
  fi
  rs_from=$((264 + monitoring)) rs_n=36
fi
if [ "$focus" -gt 0 ]; then
  rollouts=(--episodes "data/negotiator/rollouts/$teacher-train3.jsonl")
  # persona: the firm parties' later rounds (hold, then take); weighted: every BO's later rounds (the ladder
  # rung its weight's band takes, the round-4 acceptance, the firm hold), which its first two stages left
  # wrong in most off-mode games (session 23)
  if [ "$teacher" = weighted ] || [ "$teacher" = weighted3 ] || [ "$teacher" = weighted3split ]; then
    firm=(--personalities normal,agreeable,disagreeable,vulnerable,toxic --from-round 2)
    enforced_cap=400 monitoring_cap=(--max-bo-turns 250) rehearsal_bo=60
  else
    firm=(--personalities disagreeable,toxic --from-round 2)
    enforced_cap=200 monitoring_cap=() rehearsal_bo=120
  fi
  npm run -s negotiator:select -- "${rollouts[@]}" "${firm[@]}" --max-bo-turns "$enforced_cap" \
    --out "data/negotiator/focus-$teacher-enforcement.jsonl"
  parts=("data/negotiator/focus-$teacher-enforcement.jsonl")
  if [ "$monitoring" -gt 0 ]; then
    npm run -s negotiator:select -- --episodes "data/negotiator/rollouts/$teacher-monitoring-train3.jsonl" "${firm[@]}" \
      "${monitoring_cap[@]}" --out "data/negotiator/focus-$teacher-monitoring.jsonl"
    parts+=("data/negotiator/focus-$teacher-monitoring.jsonl")
    rollouts+=(--episodes "data/negotiator/rollouts/$teacher-monitoring-train3.jsonl")
  fi
  npm run -s negotiator:select -- "${rollouts[@]}" --max-bo-turns "$rehearsal_bo" --max-maestro-turns 60 \
    --out "data/negotiator/focus-$teacher-rehearsal.jsonl"
  cat "${parts[@]}" "data/negotiator/focus-$teacher-rehearsal.jsonl" > "data/negotiator/focus-$teacher.jsonl"
  rm -rf "$out-focus"
  sft --data "data/negotiator/focus-$teacher.jsonl" --base "$stage" --out "$out-focus" \
    --epochs $((epoch + 1)) --learning-rate 3e-4 --eval-size 16
  epoch=$((epoch + 1)) stage="$out-focus/sft-epoch-$epoch"
  if [ "$teacher" = weighted3 ] || [ "$teacher" = weighted3split ]; then
    # 3d. the firm parties' round-2 moves, the one rule the focus epoch left unlearned (session 24: a firm party
    # to which the topic matters a little moves half way, and the student held in 0 of 5 dev-slice turns). All
    # firm round-2 turns with the ladder, those of the "a little" band twice, the yielding parties' "a little"
    # round-2 turns, and 100 BO and 40 MAESTRO turns rehearsed beside them.
    firm_turns='Round 2 of[\s\S]*You are (disagreeable|toxic) and the topic matters'
    npm run -s negotiator:select -- "${rollouts[@]}" --prompt-matches "$firm_turns" \
      --out "data/negotiator/firm-$teacher.jsonl"
    npm run -s negotiator:select -- "${rollouts[@]}" --prompt-matches "$firm_turns a little" \
      --out "data/negotiator/firm-$teacher-little.jsonl"
    # the yielding parties' round-2 turns of the same band (they take the proposal) beside them: without them
    # the student moved half way in the "a little" band whatever its personality (4 of 5 dev turns)
    npm run -s negotiator:select -- "${rollouts[@]}" \
      --prompt-matches 'Round 2 of[\s\S]*You are (normal|agreeable|vulnerable) and the topic matters a little' \
      --out "data/negotiator/firm-$teacher-little-yielding.jsonl"
    npm run -s negotiator:select -- "${rollouts[@]}" --max-bo-turns 100 --max-maestro-turns 40 \
      --out "data/negotiator/firm-$teacher-rehearsal.jsonl"
    split=()
    if [ "$teacher" = weighted3split ]; then
      # the split teacher's new moves: the yielding parties' round-2 turns of the two bands "moderately" split into,
      # "somewhat" (three quarters of the way) and "quite a lot" (a quarter)
      npm run -s negotiator:select -- "${rollouts[@]}" \
        --prompt-matches 'Round 2 of[\s\S]*You are (normal|agreeable|vulnerable) and the topic matters (somewhat|quite a lot)' \
        --out "data/negotiator/firm-$teacher-moderately-yielding.jsonl"
      split=("data/negotiator/firm-$teacher-moderately-yielding.jsonl")
    fi
    cat "data/negotiator/firm-$teacher.jsonl" "data/negotiator/firm-$teacher-little.jsonl" \
      "data/negotiator/firm-$teacher-little-yielding.jsonl" "${split[@]}" "data/negotiator/firm-$teacher-rehearsal.jsonl" \
      > "data/negotiator/firm-$teacher-all.jsonl"
    rm -rf "$out-firm"
    sft --data "data/negotiator/firm-$teacher-all.jsonl" --base "$stage" --out "$out-firm" \
      --epochs $((epoch + 1)) --learning-rate 3e-4 --eval-size 16
    epoch=$((epoch + 1)) stage="$out-firm/sft-epoch-$epoch"
  fi
  if [ "$teacher" = weighted3split ]; then
    # 3e. Fig. 3a's setting: the bench's parties all weigh exactly 1 ("somewhat"), a weight the drawn scenarios almost
    # never state (session 29, whose teacher copied the weight: after 3d its student wrote "my weight 1 is at least
    # 100." and answered 100 in the pair dev set). 100 pair games of the train split from index 1000 (the pair dev
    # set is index 0 on), arbitration in monitoring as the bench plays them: their round-2 turns (200 BO, and
    # MAESTRO's 100, whose prompt also reads "Round 2 of") and firm openings, with 100 BO and 40 MAESTRO turns of
    # the teacher's other games rehearsed.
    npm run -s negotiator:rollout -- --split train --draw pairs --from 1000 --n 100 --policy "$teacher" \
      --arbitration monitoring --tag "$teacher-pairs-train-100" --fresh
    npm run -s negotiator:select -- --episodes "data/negotiator/rollouts/$teacher-pairs-train-100.jsonl" \
      --prompt-matches 'Round 2 of' --out "data/negotiator/pairs-$teacher.jsonl"
    # and the firm parties' openings of the same games and of 150 of the teacher's other games: trained on round 2
    # alone, the toxic party's threat wore off ("Accept 75 now or go with friend 75.", 2 of 15 unflagged in the pair
    # dev set, session 29, when only the pair games' openings were rehearsed)
    npm run -s negotiator:select -- --episodes "data/negotiator/rollouts/$teacher-pairs-train-100.jsonl" \
      --personalities disagreeable,toxic --prompt-matches 'Round 1 of' --out "data/negotiator/pairs-$teacher-openings.jsonl"
    npm run -s negotiator:select -- "${rollouts[@]}" --personalities disagreeable,toxic --prompt-matches 'Round 1 of' \
      --max-bo-turns 150 --out "data/negotiator/pairs-$teacher-openings-all.jsonl"
    npm run -s negotiator:select -- "${rollouts[@]}" --max-bo-turns 100 --max-maestro-turns 40 \
      --out "data/negotiator/pairs-$teacher-rehearsal.jsonl"
    cat "data/negotiator/pairs-$teacher.jsonl" "data/negotiator/pairs-$teacher-openings.jsonl" \
      "data/negotiator/pairs-$teacher-openings-all.jsonl" "data/negotiator/pairs-$teacher-rehearsal.jsonl" > "data/negotiator/pairs-$teacher-all.jsonl"
    rm -rf "$out-pairs"
    sft --data "data/negotiator/pairs-$teacher-all.jsonl" --base "$stage" --out "$out-pairs" \
      --epochs $((epoch + 1)) --learning-rate 3e-4 --eval-size 16
    epoch=$((epoch + 1)) stage="$out-pairs/sft-epoch-$epoch"
    # 3f. the firm parties' "a little" round-2 move (half of the way). After 3e the student read every split word
    # right and moved a firm "a little" party a quarter of the way in all 10 such dev-slice turns, the move of the
    # firm "somewhat" party it had just learned (session 30). Those turns twice, the firm "somewhat" and "quite a
    # lot" round-2 turns beside them (a quarter, hold), 60 firm openings (the toxic threat) and 100 BO, 40 MAESTRO
    # and 50 pair-game round-2 turns rehearsed, at a lower rate.
    npm run -s negotiator:select -- "${rollouts[@]}" \
      --prompt-matches 'Round 2 of[\s\S]*You are (disagreeable|toxic) and the topic matters (somewhat|quite a lot)' \
      --out "data/negotiator/fix-$teacher-firm-split.jsonl"
    npm run -s negotiator:select -- "${rollouts[@]}" --personalities disagreeable,toxic --prompt-matches 'Round 1 of' \
      --max-bo-turns 60 --out "data/negotiator/fix-$teacher-openings.jsonl"
    npm run -s negotiator:select -- --episodes "data/negotiator/rollouts/$teacher-pairs-train-100.jsonl" \
      --prompt-matches 'Round 2 of' --max-bo-turns 50 --max-maestro-turns 0 --out "data/negotiator/fix-$teacher-pairs.jsonl"
    cat "data/negotiator/firm-$teacher-little.jsonl" "data/negotiator/firm-$teacher-little.jsonl" \
      "data/negotiator/fix-$teacher-firm-split.jsonl" "data/negotiator/fix-$teacher-openings.jsonl" \
      "data/negotiator/fix-$teacher-pairs.jsonl" "data/negotiator/firm-$teacher-rehearsal.jsonl" \
      > "data/negotiator/fix-$teacher-all.jsonl"
    rm -rf "$out-fix"
    sft --data "data/negotiator/fix-$teacher-all.jsonl" --base "$stage" --out "$out-fix" \
      --epochs $((epoch + 1)) --learning-rate 2e-4 --eval-size 16
    epoch=$((epoch + 1)) stage="$out-fix/sft-epoch-$epoch"
  fi
fi
student=$(basename "$out")
.venv/bin/python -m sixg_learner.training.export_chat --checkpoint "$stage" --out "data/models/$student.gguf"

if [ "$rounds" -eq 0 ]; then
  echo "evaluate: MAESTRO_CHAT_GGUF=data/models/$student.gguf MAESTRO_CHAT_ALIAS=$student MAESTRO_LLM_MODEL=$student npm run negotiator:rollout -- --split heldout --n 30 --max-parties 3 --policy served --prompt $prompt --temperature 0 --tag $student-heldout3"
  echo "ship it:  .venv/bin/python -m sixg_learner.export.ship pack --checkpoint $stage --evaluation results/negotiator-$student-heldout3.json --out learner/models/negotiator-$teacher --reproduce 'npm run negotiator:distill -- $out $teacher $monitoring 0 $focus${from:+ $from}'"
  exit 0
fi
served() { MAESTRO_CHAT_GGUF="data/models/$student.gguf" MAESTRO_CHAT_ALIAS="$student" MAESTRO_LLM_MODEL="$student" "$@"; }
served npm run -s negotiator:rollout -- --split train --n "$rs_n" --from "$rs_from" --samples 3 --max-parties 3 \
  --temperature 0.9 --policy served --prompt "$prompt" --tag "$student-train-t0.9" --fresh
npm run -s negotiator:select -- --episodes "data/negotiator/rollouts/$student-train-t0.9.jsonl" \
  --out "data/negotiator/$student-rs1.jsonl"
if [ "$monitoring" -gt 0 ]; then
  # the round's games in monitoring mode too, or the selected turns teach the warning again (docs/NEGOTIATOR.md)
  served npm run -s negotiator:rollout -- --split train --n 24 --from $((rs_from + rs_n)) --samples 3 --max-parties 3 \
    --temperature 0.9 --policy served --prompt "$prompt" --arbitration monitoring --tag "$student-monitoring-train-t0.9" --fresh
  npm run -s negotiator:select -- --episodes "data/negotiator/rollouts/$student-monitoring-train-t0.9.jsonl" \
    --out "data/negotiator/$student-monitoring-rs1.jsonl"
  cat "data/negotiator/$student-monitoring-rs1.jsonl" >> "data/negotiator/$student-rs1.jsonl"
fi
last=$((epoch + 1))
sft --data "data/negotiator/$student-rs1.jsonl" --base "$stage" --out "$out-rs1" \
  --epochs "$last" --learning-rate 1e-4 --eval-size 16
.venv/bin/python -m sixg_learner.training.export_chat --checkpoint "$out-rs1/sft-epoch-$last" \
  --out "data/models/$student-rs1.gguf"

echo "evaluate: MAESTRO_CHAT_GGUF=data/models/$student-rs1.gguf MAESTRO_CHAT_ALIAS=$student-rs1 MAESTRO_LLM_MODEL=$student-rs1 npm run negotiator:rollout -- --split heldout --n 30 --max-parties 3 --policy served --prompt $prompt --temperature 0 --tag $student-rs1-heldout3"
echo "ship it:  .venv/bin/python -m sixg_learner.export.ship pack --checkpoint $out-rs1/sft-epoch-$last --evaluation results/negotiator-$student-rs1-heldout3.json --out learner/models/negotiator --reproduce 'npm run negotiator:distill -- $out $teacher $monitoring 1 $focus'"
