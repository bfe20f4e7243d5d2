#!/usr/bin/env bash
# `npm run negotiator:gate -- NAME CHECKPOINT [GAMES]`: the dev selection a trained negotiator passes before any
# held-out game (issue 15; docs/NEGOTIATOR.md, "The candidate gate"). One protocol for every candidate, fixed
# before it is run, so no check is chosen after a failure is seen:
#   1. CHECKPOINT (a learner checkpoint) exported to data/models/negotiator-NAME.gguf, served under its own alias
#      on the ladder prompt, greedy;
#   2. the pair dev set (30 train-split games of Fig. 3a's six pairs): the ordering must hold
#      (negotiator/fig3a.ts `fig3aOrdering`);
#   3. the dev slice (train scenarios 700–739, ≤ 3 parties): off-mode consensus at least the shipped student's and a
#      lower mean error to the optimum than its (results/negotiator-weighted-student-traindev.json);
#   4. `bench:personalities` with GAMES games a pair (default 5, the bench's own default): the ordering must hold.
# A stage runs only when the one before it passed; each writes its results/ file, and the verdict goes to
# results/negotiator-NAME-gate.json. Run it with no model server on port 8000.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: negotiator:gate NAME CHECKPOINT [GAMES]}
checkpoint=${2:?usage: negotiator:gate NAME CHECKPOINT [GAMES]}
games=${3:-5}
student=results/negotiator-weighted-student-traindev.json
[ -f "$checkpoint/checkpoint.json" ] || { echo "gate: $checkpoint is not a learner checkpoint" >&2; exit 2; }
[ -f "$student" ] || { echo "gate: $student is missing (the student's dev-slice rollout, docs/NEGOTIATOR.md)" >&2; exit 2; }
gguf=data/models/negotiator-$name.gguf
# exported again unless this very checkpoint made it (its sidecar names the checkpoint)
if [ ! -f "$gguf" ] || [ "$(cat "$gguf.from" 2>/dev/null)" != "$checkpoint" ]; then
  .venv/bin/python -m sixg_learner.training.export_chat --checkpoint "$checkpoint" --out "$gguf"
  echo "$checkpoint" > "$gguf.from"
fi
alias=negotiator-$name
served() { MAESTRO_CHAT_GGUF="$gguf" MAESTRO_CHAT_ALIAS="$alias" MAESTRO_LLM_MODEL="$alias" MAESTRO_BO_PROMPT=ladder "$@"; }
verdict() { # STAGE PASSED DETAIL: the gate's file, and the exit status
  .venv/bin/python - "$name" "$checkpoint" "$games" "$1" "$2" "$3" <<'EOF'
import json, sys
from datetime import datetime, timezone
name, checkpoint, games, stage, passed, detail = sys.argv[1:]
gate = {"candidate": name, "checkpoint": checkpoint, "benchGames": int(games), "lastStage": stage,
        "passed": passed == "yes", "detail": json.loads(detail), "at": datetime.now(timezone.utc).isoformat()}
with open(f"results/negotiator-{name}-gate.json", "w") as f:
    json.dump(gate, f, indent=2)
    f.write("\n")
print(f"gate {name}: {'PASSED' if gate['passed'] else 'stopped at ' + stage}: {detail}")
EOF
}
field() { .venv/bin/python -c "import json, sys; d = json.load(open(sys.argv[1])); print(json.dumps(eval(sys.argv[2], {'d': d, 'json': json})))" "$@"; }

# 2. the pair dev set
served npm run -s negotiator:rollout -- --split train --draw pairs --pairs V-T,V-D,A-D,N-T,D-T,N-N --n 30 \
  --policy served --prompt ladder --temperature 0 --arbitration monitoring --tag "$name-pairdev" --fresh > /dev/null
pairdev=results/negotiator-$name-pairdev.json
ordering=$(field "$pairdev" "d['fig3aPairs']['ordering']")
if [ "$(field "$pairdev" "d['fig3aPairs']['ordering']['holds']")" != true ]; then
  verdict pair-dev no "$ordering"
  exit 1
fi

# 3. the dev slice against the student
served npm run -s negotiator:rollout -- --split train --from 700 --n 40 --max-parties 3 --policy served \
  --prompt ladder --temperature 0 --tag "$name-traindev" --fresh > /dev/null
dev=results/negotiator-$name-traindev.json
compare="{'candidate': d['byMode']['off'], 'student': json.load(open('$student'))['byMode']['off']}"
offmode=$(field "$dev" "$compare")
better=$(field "$dev" "(lambda c, s: c['consensus'] >= s['consensus'] and c['errorToOptimumMbps']['mean'] < s['errorToOptimumMbps']['mean'])(d['byMode']['off'], json.load(open('$student'))['byMode']['off'])" | tr -d '"')
if [ "$better" != true ]; then
  verdict dev-slice no "$offmode"
  exit 1
fi

# 4. the bench's Fig. 3a
bench=results/personalities-$name.json
served npm run -s bench:personalities -- --games "$games" --fresh --out "$bench" > /dev/null
bench_ordering=$(field "$bench" "d['ordering']")
if [ "$(field "$bench" "d['ordering']['holds']")" != true ]; then
  verdict bench no "$bench_ordering"
  exit 1
fi
verdict bench yes "{\"pairDev\": $ordering, \"devSlice\": $offmode, \"bench\": $bench_ordering}"
