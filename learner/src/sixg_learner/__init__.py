"""maestro's RLDTF training side: the 6G-LLM trained from the network digital twin's feedback.

Grouped by job, imports running one way (learner/README.md; tests/test_layers.py keeps it so):

    tasks/        the problem: tasks, the prompt, eq. (2) and the twin's verdict
    generation/   how an answer is produced: the policy, its decoding and grammar, a served model
    export/       the model between GGUF and Hugging Face; the shipped model
    training/     domain SFT, rejection sampling, PPO, checkpoints, the training activities
    evaluation/   the paper's metrics, baselines, comparisons, figures, the sampling benchmark
    serving/      answering an orchestration request (nothing of training, no torch)

    worker.py, contract.py          the Temporal worker process and its TypeScript contract
    chat.py, files.py, errors.py    what the jobs share
"""
