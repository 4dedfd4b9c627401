"""Load test: 16 connections for 10 s against gunicorn on 127.0.0.1, measured by wrk.

Gunicorn runs with the portal's production config (gunicorn.conf.py) and the benchmark settings,
on the benchmark's database; wrk (Debian package `wrk`) sends a logged-in session's cookie.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONNECTIONS = 16
SECONDS = 10
WARM_UP_SECONDS = 3


@dataclass
class LoadFigures:
    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    def __init__(self, database_url: str):
        self.port = free_port()
        self.database_url = database_url
        self.process = None

    def __enter__(self):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
            "DATABASE_URL": self.database_url,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
        }
        command = [str(Path(sys.executable).parent / "gunicorn")]
        if (ROOT / "gunicorn.conf.py").exists():
            command += ["-c", str(ROOT / "gunicorn.conf.py")]
        command += ["--bind", f"127.0.0.1:{self.port}", "klockaretorpet.wsgi"]
        self.process = subprocess.Popen(  # noqa: S603 (our own venv's gunicorn)
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz within 30 s")

    def __exit__(self, *exc_info):
        self.process.terminate()
        self.process.wait(timeout=30)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def _wrk(url: str, cookie: str, seconds: int) -> str:
    return subprocess.run(  # noqa: S603
        [
            shutil.which("wrk"),
            "--threads",
            "2",
            "--connections",
            str(CONNECTIONS),
            "--duration",
            f"{seconds}s",
            "--timeout",
            "30s",
            "--latency",
            "--header",
            f"Cookie: {cookie}",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def run_wrk(url: str, cookie: str) -> LoadFigures:
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
        assert answer.status == 200, (url, answer.status)
    # Every worker and thread answers a few requests first (its templates, translations and
    # database connection), so both pages are measured warm, as a server that has run a while.
    _wrk(url, cookie, WARM_UP_SECONDS)
    output = _wrk(url, cookie, SECONDS)
    percentiles = dict(re.findall(r"^\s*(\d+)%\s+(\S+)\s*$", output, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return LoadFigures(
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
        per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_milliseconds(percentiles["50"]),
        p99_ms=_milliseconds(percentiles["99"]),
        errors=(int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    )
