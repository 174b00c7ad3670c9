"""Reusable test helpers: a running local runtime for integration and e2e tests.

    from invsync_local.testing import running_runtime

    @pytest.fixture(scope="module")
    def runtime():
        with running_runtime() as rt:
            yield rt

One runtime per process at a time (handlers read os.environ), so scope fixtures to a module or a
test, not the session if other modules start their own.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

from .runtime import LocalRuntime

# Fast local retries: failed SQS messages come back after 0 s instead of 2 s.
TEST_ENV = {"INVSYNC_LOCAL_RETRY_DELAY_SECONDS": "0"}


@contextmanager
def running_runtime(
    project_root: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> Iterator[LocalRuntime]:
    """A started LocalRuntime (API on a free port, embedded AWS unless AWS_ENDPOINT_URL is set),
    stopped on exit. `env` is added to TEST_ENV; other keyword arguments go to LocalRuntime."""
    kwargs.setdefault("port", 0)
    runtime = LocalRuntime(project_root, env={**TEST_ENV, **(env or {})}, **kwargs)
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop()
