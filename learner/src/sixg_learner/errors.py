"""The error the learner's activities raise for input that can never succeed, one type for the TypeScript side.

Temporal retries an activity that fails, unless the error is non-retryable: a missing task file, a
request that is not a task, a model the server does not serve fail the same way on every retry.
Both queues' activities (training/activities.py, serving/activities.py) raise it, and the API tells
it apart by its type (api/sixg/service.ts answers 400 on it).
"""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

INVALID_INPUT = "InvalidTrainingInput"


def invalid_input(message: str) -> ApplicationError:
    """A non-retryable failure of type `INVALID_INPUT`."""
    return ApplicationError(message, type=INVALID_INPUT, non_retryable=True)
