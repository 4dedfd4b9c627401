"""Back up the portal's database to one file: `make backup`, or `python scripts/backup.py [FILE]`.

The database is the one DATABASE_URL selects, read exactly as klockaretorpet/settings.py reads
it, but without loading Django: a backup must not depend on DJANGO_SECRET_KEY being at hand.
PostgreSQL is written by pg_dump in its custom format (one consistent snapshot, for
pg_restore); SQLite is copied through SQLite's online backup API, which stays consistent while
the portal writes, where a plain file copy could catch a half-written transaction.

Without FILE the backup goes to backups/<database>-<YYYYmmdd-HHMMSS>.dump (PostgreSQL) or
.sqlite3 (SQLite); FILE may also name a folder. scripts/restore.py reads both kinds back.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
BACKUP_DIR = BASE_DIR / "backups"

POSTGRESQL, SQLITE = "postgresql", "sqlite"
ENGINES = {"django.db.backends.postgresql": POSTGRESQL, "django.db.backends.sqlite3": SQLITE}
SUFFIXES = {POSTGRESQL: ".dump", SQLITE: ".sqlite3"}
# A backup's kind is told by its first bytes, never by its name (a renamed file stays what it is).
MAGIC = {POSTGRESQL: b"PGDMP", SQLITE: b"SQLite format 3\x00"}
LABELS = {POSTGRESQL: "PostgreSQL", SQLITE: "SQLite"}

# Connection options a DATABASE_URL may carry (`?sslmode=require`) that pg_dump and pg_restore
# only take from the environment; psycopg passes them to libpq the same way.
LIBPQ_ENVIRONMENT = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
}


class BackupError(Exception):
    """A problem the operator can act on: printed as it is, without a traceback."""


def database_from_environment() -> dict:
    try:
        return dj_database_url.parse(
            os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
        )
    except ValueError as error:
        raise BackupError(f"DATABASE_URL kan inte läsas: {error}") from error


def kind_of(database: dict) -> str:
    try:
        return ENGINES[database["ENGINE"]]
    except KeyError:
        raise BackupError(
            f"Databasen i DATABASE_URL ({database['ENGINE']}) stöds inte, "
            "bara PostgreSQL och SQLite."
        ) from None


def describe(database: dict) -> str:
    """The database as operators know it; never with its password."""
    if kind_of(database) == SQLITE:
        return f"SQLite-databasen {sqlite_path(database)}"
    user = f"{database['USER']}@" if database.get("USER") else ""
    port = f":{database['PORT']}" if database.get("PORT") else ""
    host = database.get("HOST") or "lokal socket"
    return f"PostgreSQL-databasen {database['NAME']} ({user}{host}{port})"


def sqlite_path(database: dict) -> Path:
    name = database["NAME"]
    if not name or name == ":memory:" or str(name).startswith("file:"):
        raise BackupError(f"DATABASE_URL pekar inte på en SQLite-fil ({name!r}).")
    return Path(name)


def postgresql_command(program: str, database: dict, *arguments: str) -> tuple[list[str], dict]:
    """pg_dump's or pg_restore's command line and environment for the database.

    The password goes in the environment, where other users cannot read it as they could
    read a command line (`ps`)."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            f"{program} finns inte på den här datorn. Installera PostgreSQL:s klientprogram "
            "(Debian/Ubuntu: apt-get install postgresql-client) i samma eller en nyare "
            "version än databasservern."
        )
    command = [executable, *arguments]
    for option, key in [("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")]:
        if database.get(key):
            command.append(f"{option}={database[key]}")
    command.append(f"--dbname={database['NAME']}")
    environment = dict(os.environ)
    if database.get("PASSWORD"):
        environment["PGPASSWORD"] = database["PASSWORD"]
    options = database.get("OPTIONS") or {}
    for option, variable in LIBPQ_ENVIRONMENT.items():
        if option in options:
            environment[variable] = str(options[option])
    return command, environment


def run(command: list[str], environment: dict) -> None:
    # The program was found by shutil.which, its arguments come from DATABASE_URL and the
    # operator's own command line, and no shell is involved.
    result = subprocess.run(command, env=environment, check=False)  # noqa: S603
    if result.returncode != 0:
        program = Path(command[0]).name
        raise BackupError(f"{program} misslyckades (felkod {result.returncode}), se ovan.")


def sqlite_connect(path: Path, mode: str) -> sqlite3.Connection:
    """A connection that waits while another one writes. Mode `rw` never creates a missing
    file (a mistyped path would otherwise be backed up as an empty database)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=30)


def default_name(database: dict, kind: str) -> str:
    name = sqlite_path(database).stem if kind == SQLITE else database["NAME"]
    return f"{name}-{time.strftime('%Y%m%d-%H%M%S')}{SUFFIXES[kind]}"


def backup(database: dict, target: str | None) -> Path:
    kind = kind_of(database)
    if kind == SQLITE and not sqlite_path(database).is_file():
        raise BackupError(f"SQLite-databasen {sqlite_path(database)} finns inte.")
    if target is None:
        target = BACKUP_DIR / default_name(database, kind)
    elif target.endswith(os.sep) or Path(target).is_dir():
        target = Path(target) / default_name(database, kind)
    else:
        target = Path(target)
    if target.exists():
        raise BackupError(f"{target} finns redan; en säkerhetskopia skrivs aldrig över.")
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"Säkerhetskopierar {describe(database)} till {target} …")
    # Written under another name and renamed when complete, so a file with the backup's name
    # is always a whole backup, even after a crash or Ctrl+C.
    partial = target.with_name(f".{target.name}.partial")
    try:
        if kind == POSTGRESQL:
            command, environment = postgresql_command(
                "pg_dump",
                database,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={partial}",
            )
            run(command, environment)
        else:
            with (
                contextlib.closing(sqlite_connect(sqlite_path(database), "rw")) as source,
                contextlib.closing(sqlite3.connect(partial)) as copy,
            ):
                source.backup(copy)
        partial.replace(target)
    except sqlite3.Error as error:
        raise BackupError(f"SQLite: {error}") from error
    finally:
        partial.unlink(missing_ok=True)
    return target


def file_size(path: Path) -> str:
    size = path.stat().st_size / 1024
    for unit in ["kB", "MB"]:
        if size < 1024:
            return f"{size:.1f} {unit}".replace(".", ",")
        size /= 1024
    return f"{size:.1f} GB".replace(".", ",")


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Säkerhetskopiera portalens databas (den som DATABASE_URL anger)."
    )
    parser.add_argument(
        "file",
        nargs="?",
        help=f"fil eller mapp att skriva till (förval: {BACKUP_DIR}/)",
    )
    options = parser.parse_args(arguments)
    try:
        target = backup(database_from_environment(), options.file)
    except BackupError as error:
        print(f"Fel: {error}", file=sys.stderr)
        return 1
    print(f"Klart: {target} ({file_size(target)}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
