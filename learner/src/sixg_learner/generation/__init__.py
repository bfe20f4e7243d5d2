"""How an answer is produced: by the policy in process, under the answer grammar, or by the model server.

- `policy.py`: the actor, critic and reference on one backbone, the batch layout, `sample`;
- `decoding.py`: the engine `sample` runs on (caches written in place, forced runs in one forward);
- `grammar.py`: the answer grammar as a token constraint, the actor's action space;
- `served.py`: a served model's answer over HTTP (no torch), and the policy's temperature.

Imports `tasks` only. Training, evaluation and export build on it; serving uses `served.py` alone.
"""
