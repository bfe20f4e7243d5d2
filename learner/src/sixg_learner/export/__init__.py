"""The model between its two forms: the served GGUF and the trainable Hugging Face checkpoint.

- `convert.py`: the served GGUF → a float32 HF checkpoint (`npm run sixg:convert`);
- `export_gguf.py`: a trained, merged HF checkpoint → the GGUF the model server serves;
- `ship.py`: the committed adapters of the shipped 6G-LLM (`pack`), rebuilt into the served model
  at start (`install`, run by `npm start`).

Imports `generation` (loading the policy to merge adapters), never `training`.
"""
