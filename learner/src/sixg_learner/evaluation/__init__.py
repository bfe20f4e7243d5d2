"""Measuring a 6G-LLM: the paper's metrics on held-out tasks, the baselines, their comparison, the figures.

- `evaluate.py`: completion rate and average score of any generator (`npm run sixg:eval`);
- `baselines.py`: the constant plan and the hand rule (`npm run sixg:baselines`);
- `compare.py`: intervals and paired tests between evaluations (`npm run sixg:compare`);
- `report.py`: the report's figures and table (`npm run sixg:report`);
- `bench_sampling.py`: the policy's sampling speed (`npm run bench:sixg-sampling`).

The top of the learner's jobs: may import every other job but serving; nothing imports it.
"""
