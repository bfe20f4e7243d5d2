"""The served 6G-LLM answering an orchestration request, checked on the twin.

- `orchestrate.py`: one request: the model server's answers, validated, retried, judged on the twin.

Imports `tasks` and `generation.served` only (no torch, nothing of training or evaluation): a
request never waits on, or loads, the training stack. `tests/test_layers.py` keeps it so.
"""
