"""The README's two commands on a fresh machine (issue 14): what is missing is said in one line."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = next(path for path in Path(__file__).resolve().parents if (path / "manage.py").is_file())


def environment_without_django(**extra) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_")) and key not in {"CI", "DATABASE_URL"}
    }
    env.update(extra)
    return env


def test_manage_py_without_settings_says_in_one_swedish_line_what_to_set():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment_without_django(),
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "DJANGO_SECRET_KEY är inte satt: sätt DJANGO_DEBUG=1 för utveckling eller "
        "DJANGO_SECRET_KEY för drift (se .env.example)."
    ]


def path_without(tmp_path, *commands: str) -> str:
    """PATH as it is, but with `commands` missing, as on a machine without their packages."""
    directories = []
    for index, directory in enumerate(os.environ["PATH"].split(os.pathsep)):
        if not Path(directory).is_dir():
            continue
        copy = tmp_path / f"path-{index}"
        copy.mkdir()
        for entry in Path(directory).iterdir():
            if entry.name not in commands and not (copy / entry.name).exists():
                (copy / entry.name).symlink_to(entry)
        directories.append(str(copy))
    return os.pathsep.join(directories)


def run_tests_needing_packages(tmp_path, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests",
            "-m",
            "needs or browser",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        env=environment_without_django(
            PATH=path_without(tmp_path, "chromium", "soffice", "node", "npm", "apt-get"), **extra
        ),
        capture_output=True,
        text=True,
        check=False,
    )


MISSING_ENTRY = re.compile(
    r"\d+ (LibreOffice-test|webbläsartest|OpenID-inloggningstest)(er)? \(saknar paketet "
    r"(libreoffice-calc-nogui|chromium|nodejs): sudo apt-get install \3\)"
)


def is_missing_line(line: str) -> bool:
    prefix = "Kördes inte: "
    return line.startswith(prefix) and all(
        MISSING_ENTRY.fullmatch(entry) for entry in line.removeprefix(prefix).split(", ")
    )


def test_without_chromium_and_libreoffice_their_tests_are_skipped_and_named_in_the_last_line(
    tmp_path,
):
    result = run_tests_needing_packages(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    last_line = result.stdout.splitlines()[-1]
    assert is_missing_line(last_line), result.stdout
    assert {"chromium", "libreoffice-calc-nogui", "nodejs"} <= set(
        re.findall(r"paketet (\S+):", last_line)
    )
    assert " passed" not in result.stdout


def test_under_ci_a_missing_package_fails_the_run(tmp_path):
    result = run_tests_needing_packages(tmp_path, CI="true")

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].endswith("CI=true: ett saknat systempaket är ett fel.")
