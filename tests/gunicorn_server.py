"""Gunicorn as `make serve` starts it (gunicorn.conf.py, the project's wsgi), for the tests that
need the real server: the timeout (tests/test_serving.py) and a database outage
(tests/test_outage.py)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn_serving(env: dict[str, str], port: int, log: Path) -> Iterator[None]:
    """Gunicorn with `env` (which binds it to `port`), its output in `log`, until the block ends."""
    gunicorn_command = str(Path(sys.executable).with_name("gunicorn"))
    with log.open("wb") as output:
        process = subprocess.Popen(
            [gunicorn_command, "-c", "gunicorn.conf.py", "klockaretorpet.wsgi"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_serving(process, port, log)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_serving(process, port: int, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not start:\n{log.read_text()}")
