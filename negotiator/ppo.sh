#!/usr/bin/env bash
# `[PPO_START=split|weighted] [PPO_INIT=CHECKPOINT] [PPO_STATES=served|teacher] [PPO_EXTRA="--beta-kl 0.2 …"] [PPO_PAIRS=100] npm run negotiator:ppo [-- OUT_DIR [STEPS [BASELINE [ROUNDS [LEARNING_RATE [FIRM [YIELDING]]]]]]]`:
# PPO with the learner's token weights on a shipped negotiator, PPO_START (the default `split`, the served default
# since session 31, on the `ladder-split` prompt; `weighted`, on the `ladder` prompt, is what sessions 25–30 ran
# and their commands below need), or on PPO_INIT, a checkpoint of that negotiator's training (issue 15, item 3;
# docs/NEGOTIATOR.md, "PPO on the negotiator"). PPO_STATES=teacher records the training and dev games with the
# start's teacher policy (weighted3 or weighted3split) instead of the served model: the same states wherever the
# student plays its teacher (the split student does in 936 of 938 dev turns), in a tenth of the time.
# BASELINE is the advantage's: `group` (the mean reward of the turn's k answers, GRPO's; the default), `group-std`
# (that, over the k rewards' std: GRPO's advantage) or `critic` (eq. 6). ROUNDS: the BO rounds whose turns are tasks (default 2,3). FIRM: the firm parties' round-2 turns `out`,
# trained under their `personality` term (turn-env.ts `firmPersonalityTerm`) or within their personality's `bound`
# (the default; turn-env.ts `firmBoundBroken`). YIELDING: the yielding parties' round-2 turns `free` under the team's
# R (the default) or held to at least their personality's move, `floor` (turn-env.ts `yieldingFloorBroken`). Session 25 ran
# `npm run negotiator:ppo -- data/negotiator/runs/ppo 60 critic 2 1e-4 out` (it broke the round-3 acceptance it
# never trained on), `npm run negotiator:ppo -- data/negotiator/runs/ppo-r23 30 group 2,3 5e-5 out` (Fig. 3a
# lost) and `npm run negotiator:ppo -- data/negotiator/runs/ppo-firm 30 group 2,3 5e-5 personality`; session 26
# `PPO_INIT=data/negotiator/runs/distill-weighted3-firm/sft-epoch-5 npm run negotiator:ppo -- data/negotiator/runs/ppo-bound 30 group 2,3 5e-5 bound`.
#
#   1. the negotiator it starts from (learner/models/negotiator-$PPO_START, or PPO_INIT), served on its prompt (or its
#      teacher, PPO_STATES=teacher), plays 240 training scenarios (≤ 3 parties, greedy, two slices clear of the dev
#      slice 700–739 and of the gate's 2000–2119) and the 40 dev-slice scenarios;
#      With PPO_PAIRS=N it also plays N Fig. 3a pair scenarios of the train split (scenarios.ts `drawPairScenario`,
#      from index 1000, the 25 personality pairs in turn), whose turns join the training turns, and 30 of Fig. 3a's six
#      pairs from index 0 (the pair dev set), whose turns join the dev turns; arbitration in monitoring, as the bench;
#   2. `negotiator:turns` makes their off-mode BO turns of ROUNDS PPO tasks (negotiator/turn-env.ts), the firm
#      parties' round-2 turns as FIRM says;
#   3. the learner's PPO iteration (rl.py, eqs. 3–9 with token weights) on those turns, the reward
#      R = D + ½Q + ½v from negotiator/turn-reward-server.ts; a checkpoint every 10 steps, greedy dev turns
#      every 10 (dev/completion: the share as near the optimum as the teacher). Interrupted, the same command
#      resumes from the last checkpoint;
#   4. the curves (results/negotiator-<run>-curves.png), and the checkpoint of the best dev figures
#      (<out>/best.json) exported to a GGUF, data/models/negotiator-<run>.gguf.
# About 45 minutes on two cores (12 of them the served games). Run it with no model server on port 8000.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-data/negotiator/runs/ppo}
steps=${2:-60}
baseline=${3:-group}
rounds=${4:-2,3}
learning_rate=${5:-5e-5}
firm=${6:-bound}
yielding=${7:-free}
name=$(basename "$out")
. negotiator/candidate-name.sh
. negotiator/games-stamp.sh
refuse_shipped_name "$name"
# the negotiator PPO starts from: PPO_INIT, a learner checkpoint (the reproduce line of a shipped PPO negotiator
# names its distilled start), else the shipped negotiator PPO_START; it plays the recorded games, served
start=${PPO_START:-split}
case $start in
  split) prompt=ladder-split mediator_prompt=moves teacher=weighted3split ;;
  weighted) prompt=ladder mediator_prompt=mean teacher=weighted3 ;;
  *) echo "ppo: PPO_START=$start: use split or weighted" >&2; exit 2 ;;
esac
states=${PPO_STATES:-served}
init=${PPO_INIT:-learner/models/negotiator-$start}
case $states in
  served) games=$start-student ;;
  teacher) games=$teacher ;;
  *) echo "ppo: PPO_STATES=$states: use served or teacher" >&2; exit 2 ;;
esac
if [ -f "$init/checkpoint.json" ]; then
  gguf=data/models/ppo-start-$(basename "$(dirname "$init")").gguf
  [ "$states" = teacher ] || [ -f "$gguf" ] ||
    .venv/bin/python -m sixg_learner.training.export_chat --checkpoint "$init" --out "$gguf"
else
  gguf=data/models/negotiator-$start.gguf
  [ "$states" = teacher ] || .venv/bin/python -m sixg_learner.export.ship install-negotiator --which "$start"
fi
alias=$(basename "$gguf" .gguf)
# the recorded games' tags carry a stamp of the code that played them and of the served model (games-stamp.sh)
if [ "$states" = teacher ]; then
  stamp=$(games_stamp)
elif [ -f "$init/checkpoint.json" ]; then
  stamp=$(games_stamp "$init/checkpoint.json")
else
  stamp=$(games_stamp "learner/models/negotiator-$start/manifest.json")
fi
# served with MAESTRO's off-mode prompt as shipped (core/config.ts `mediatorPromptFor`; `auto` goes by the model's name)
served() {
  MAESTRO_CHAT_GGUF="$gguf" MAESTRO_CHAT_ALIAS="$alias" MAESTRO_LLM_MODEL="$alias" \
    MAESTRO_MEDIATOR_PROMPT="$mediator_prompt" "$@"
}
recorded() { echo "data/negotiator/rollouts/$1-$stamp.jsonl"; } # TAG: the file its games are recorded in
rollout() { # TAG FROM N [ROLLOUT OPTIONS …]
  local tag=$1-$stamp from=$2 n=$3
  shift 3
  [ -f "$(recorded "$1")" ] && [ "$(wc -l < "$(recorded "$1")")" -ge "$n" ] && return
  if [ "$states" = teacher ]; then
    npm run -s negotiator:rollout -- --split train --from "$from" --n "$n" --max-parties 3 --policy "$teacher" \
      --tag "$tag" --fresh "$@"
  else
    served npm run -s negotiator:rollout -- --split train --from "$from" --n "$n" --max-parties 3 --policy served \
      --prompt "$prompt" --temperature 0 --tag "$tag" --fresh "$@"
  fi
}
rollout "$games-train-a" 450 120
rollout "$games-train-b" 760 120
rollout "$games-traindev" 700 40
train_episodes=(--episodes "$(recorded "$games-train-a")" --episodes "$(recorded "$games-train-b")")
dev_episodes=(--episodes "$(recorded "$games-traindev")")
pairs=${PPO_PAIRS:-0}
if [ "$pairs" -gt 0 ]; then
  rollout "$games-pairs-train-$pairs" 1000 "$pairs" --draw pairs --arbitration monitoring
  rollout "$games-pairdev" 0 30 --draw pairs --pairs V-T,V-D,A-D,N-T,D-T,N-N --arbitration monitoring
  train_episodes+=(--episodes "$(recorded "$games-pairs-train-$pairs")")
  dev_episodes+=(--episodes "$(recorded "$games-pairdev")")
fi
npm run -s negotiator:turns -- "${train_episodes[@]}" --rounds "$rounds" --firm "$firm" --yielding "$yielding" \
  --out "$out-turns-train.jsonl"
npm run -s negotiator:turns -- "${dev_episodes[@]}" --rounds "$rounds" --firm "$firm" --yielding "$yielding" \
  --out "$out-turns-dev.jsonl"
# resume from the last checkpoint of an interrupted run
last=$(ls -d "$out"/ppo-step-* 2>/dev/null | sort | tail -1 || true)
[ -n "$last" ] && init=$last
.venv/bin/python -m sixg_learner.training.negotiation --turns "$out-turns-train.jsonl" \
  --dev-turns "$out-turns-dev.jsonl" --init "$init" --out "$out" --steps "$steps" \
  --baseline "$baseline" --learning-rate "$learning_rate" --save-every 10 --threads 2 ${PPO_EXTRA:-}
.venv/bin/python -m sixg_learner.evaluation.report --run "ppo=$out" --out "results/negotiator-$name"
best=$(.venv/bin/python -c "import json, sys; print(json.load(open(sys.argv[1]))['checkpoint'])" "$out/best.json")
echo "best dev checkpoint: $best"
.venv/bin/python -m sixg_learner.training.export_chat --checkpoint "$best" --out "data/models/negotiator-$name.gguf"
# the candidate gate (negotiator/gate.sh): the pair dev set, the dev slice against the student and the bench's Fig. 3a,
# each only when the one before it passed, on a checkpoint of this run (best.json's, or any <out>/ppo-step-N)
echo "gate: GATE_PROMPT=$prompt npm run negotiator:gate -- $name $best"
