"""Tests that need a Debian package (scripts/system-packages) run only where it is installed.

`@pytest.mark.needs("<package>")` marks such a test; the `browser` marker implies `chromium`.
Where the package is missing the test is skipped with a reason naming it, and the run ends with
one line naming what was not run and how to install it. With `CI=true` a missing package fails
the run instead. A missing package the portal itself needs (WeasyPrint's libraries and fonts)
stops the run before collection, naming it: without WeasyPrint even the URLs fail to import.

Whether a package is installed is decided by scripts/system-packages.sh, as for `make test`.
"""

import os
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIST = ROOT / "scripts" / "system-packages"
SCRIPT = ROOT / "scripts" / "system-packages.sh"
IMPLIED_BY_MARKER = {"browser": "chromium"}


@dataclass(frozen=True)
class Package:
    name: str
    when: str
    what: str  # for `test` packages: the Swedish name of one test that needs it

    def install(self) -> str:
        return f"sudo apt-get install {self.name}"


def listed_packages() -> dict[str, Package]:
    packages = {}
    for line in LIST.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, when, _found_by, what = line.split(maxsplit=3)
            packages[name] = Package(name, when, what)
    return packages


def missing_packages() -> set[str]:
    result = subprocess.run(
        ["sh", str(SCRIPT), "missing"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    return set(result.stdout.split())


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def tests_count(count: int, test_name: str) -> str:
    return f"{count} {test_name}" if count == 1 else f"{count} {test_name}er"


class SystemPackages:
    def __init__(self) -> None:
        self.packages = listed_packages()
        self.missing = missing_packages()
        self.not_run: Counter[str] = Counter()

    def portal_missing(self) -> list[Package]:
        return [
            package
            for name, package in self.packages.items()
            if package.when == "portal" and name in self.missing
        ]

    def needed_by(self, item) -> list[str]:
        names = [marker.args[0] for marker in item.iter_markers("needs")]
        names += [
            name for marker, name in IMPLIED_BY_MARKER.items() if item.get_closest_marker(marker)
        ]
        for name in names:
            if name not in self.packages:
                raise pytest.UsageError(f"{item.nodeid}: needs({name!r}) is not in {LIST.name}")
        return names

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items):
        for item in items:
            self.needed_by(item)  # an unknown package name is a usage error, installed or not

    # After pytest's own skip markers, so that -ra keeps the location of the skip below and folds
    # the tests skipped for one package into one line.
    def pytest_runtest_setup(self, item):
        missing = [name for name in self.needed_by(item) if name in self.missing]
        if missing:
            package = self.packages[missing[0]]
            self.not_run[package.name] += 1
            pytest.skip(f"saknar paketet {package.name}: {package.install()}")

    def summary(self) -> str:
        return "Kördes inte: " + ", ".join(
            f"{tests_count(count, self.packages[name].what)} "
            f"(saknar paketet {name}: {self.packages[name].install()})"
            for name, count in self.not_run.items()
        )

    def pytest_sessionfinish(self, session):
        if self.not_run and in_ci() and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    # After pytest's own summary, so that it is the run's last line.
    def pytest_unconfigure(self, config):
        if not self.not_run:
            return
        terminal = config.pluginmanager.get_plugin("terminalreporter")
        line = self.summary()
        if in_ci():
            line += " – CI=true: ett saknat systempaket är ett fel."
        if terminal is not None:
            terminal.write_line(line, yellow=not in_ci(), red=in_ci(), bold=True)


def register(config) -> None:
    plugin = SystemPackages()
    missing = plugin.portal_missing()
    if missing:
        raise pytest.UsageError(
            "Portalen behöver "
            + ", ".join(f"paketet {package.name} ({package.what})" for package in missing)
            + ": sudo apt-get install "
            + " ".join(package.name for package in missing)
        )
    config.pluginmanager.register(plugin, "system-packages")
