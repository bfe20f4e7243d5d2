"""RLDTF training: domain SFT, rejection sampling and PPO from the twin's feedback, with their checkpoints.

- `args.py`: every phase's settings, one hierarchy (`Args` → `SftArgs`; `LoopArgs` → `RsArgs`, `PpoArgs`);
- `train.py`: the runs (`npm run sixg:train -- rs|ppo|sft`): rounds and steps, metrics, checkpoints;
- `rejection_sampling.py` (Section III-B), `rl.py` (one PPO iteration, III-C), `domain_sft.py` (III-A);
- `ppo.py` (the losses, eqs. 6–9), `token_weights.py` (eqs. 3–5), `updates.py` (minibatches, the
  micro-batched backward, the optimizer);
- `domain_qa.py`: phase 1's telecom Q&A from the 3GPP tables (`npm run sixg:domain-qa`);
- `checkpoints.py`: adapters, value head, optimizer and RNG with their lineage; the merged export;
- `retrain.py`: the whole committed run end to end (`npm run sixg:retrain`).

Imports `tasks`, `generation` and `export` (the base model's lineage file). Serving never imports it.
"""
