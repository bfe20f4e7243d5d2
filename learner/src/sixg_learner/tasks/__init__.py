"""The 6G-LLM's problem: tasks with QoS needs, the prompt, and the twin's verdict on an answer.

- `task.py`: what a task is (QoS needs, radio conditions, the cell's state) and its file format;
- `generate.py`: drawing tasks that are feasible on the twin (`npm run sixg:tasks`);
- `prompting.py`: a task → the chat messages; an answer → an executable orchestration, or why not;
- `reward.py`: eq. (2), and `judge`, the one place a twin result becomes (achieved, satisfied, reward);
- `scoring.py`: the in-process twin and `TwinScorer`, answers → the twin → `judge` in batches.

The bottom of the learner: imports nothing of it but the chat client (`generate.py`'s paraphraser).
"""
