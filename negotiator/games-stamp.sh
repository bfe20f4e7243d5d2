# Sourced by gate.sh and ppo.sh. `games_stamp [FILE …]` prints ten hex digits of a hash over the code that decides how
# a recorded game plays (the workflow, its activities and units, the bench harness, the teacher policies and the
# scenario draws), committed or not, and over FILEs (a served model's install record or checkpoint manifest). Both
# scripts keep recorded games and replay them only when missing; a game tag carrying this stamp is replayed whenever
# that code changes. Without it a stale file was read as new twice: session 31's stale GGUF, and session 32's PPO
# dev set, whose Fig. 3a pair games had been played by session 29's teacher under the same tag.
games_stamp() { # [FILE …]
  {
    git ls-files -z -co --exclude-standard -- activities core workflows bench/lib negotiator/policies.ts \
      negotiator/scenarios.ts negotiator/fig3a.ts negotiator/rollout.ts negotiator/rewards.ts negotiator/episode.ts |
      sort -z | xargs -0 cat
    for file in "$@"; do cat "$file"; done
  } | sha256sum | cut -c1-10
}
