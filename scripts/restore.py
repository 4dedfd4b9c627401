"""Restore a backup made by scripts/backup.py: `make restore FILE=…`, or
`python scripts/restore.py FILE`.

The database DATABASE_URL selects (read as backup.py reads it, so the two always mean the same
database) gets the backup's content in place of its own. PostgreSQL: pg_restore in one
transaction, so a failed restore leaves the database as it was. SQLite: SQLite's backup API in
the other direction, which replaces the whole database file's content under SQLite's locks.

Refused before the database is touched: a missing file, and a file of the other database's
kind (told by its content, not its name).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import sys
from pathlib import Path

# scripts/ is on sys.path when this file runs as a script; sharing backup.py's reading of
# DATABASE_URL is what keeps a backup and its restore pointed at the same database.
from backup import (
    LABELS,
    MAGIC,
    POSTGRESQL,
    SQLITE,
    BackupError,
    database_from_environment,
    describe,
    kind_of,
    postgresql_command,
    run,
    sqlite_connect,
    sqlite_path,
)


def kind_of_file(path: Path) -> str | None:
    with path.open("rb") as file:
        start = file.read(max(len(magic) for magic in MAGIC.values()))
    return next((kind for kind, magic in MAGIC.items() if start.startswith(magic)), None)


def check_backup_file(path: Path, database: dict) -> None:
    if not path.exists():
        raise BackupError(f"Säkerhetskopian {path} finns inte.")
    if not path.is_file():
        raise BackupError(f"{path} är ingen fil.")
    kind = kind_of(database)
    found = kind_of_file(path)
    if found is None:
        raise BackupError(
            f"{path} är ingen säkerhetskopia från make backup (varken en pg_dump-fil i "
            "custom-format eller en SQLite-databas). Ingenting har återställts."
        )
    if found != kind:
        raise BackupError(
            f"{path} är en säkerhetskopia av en {LABELS[found]}-databas, men DATABASE_URL "
            f"pekar på {describe(database)}. En säkerhetskopia kan bara återställas till "
            "samma slags databas. Ingenting har återställts."
        )
    if kind == SQLITE:
        check_sqlite_backup(path, sqlite_path(database))


def check_sqlite_backup(path: Path, target: Path) -> None:
    if target.exists() and os.path.samefile(path, target):
        raise BackupError(f"{path} är själva databasen, inte en säkerhetskopia av den.")
    # A damaged copy is refused before it can replace a sound database.
    try:
        with contextlib.closing(sqlite_connect(path, "ro")) as backup:
            problems = [row[0] for row in backup.execute("PRAGMA quick_check")]
    except sqlite3.Error as error:
        problems = [str(error)]
    if problems != ["ok"]:
        raise BackupError(
            f"{path} är skadad ({'; '.join(problems[:5])}). Ingenting har återställts."
        )


def restore_postgresql(path: Path, database: dict) -> None:
    command, environment = postgresql_command(
        "pg_restore",
        database,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
    )
    run([*command, str(path)], environment)


def restore_sqlite(path: Path, database: dict) -> None:
    try:
        with (
            contextlib.closing(sqlite_connect(path, "ro")) as backup,
            contextlib.closing(sqlite3.connect(sqlite_path(database), timeout=30)) as target,
        ):
            backup.backup(target)
    except sqlite3.Error as error:
        raise BackupError(f"SQLite kunde inte återställa {path}: {error}") from error


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(
            "Återställ en säkerhetskopia från make backup till databasen som DATABASE_URL "
            "anger. Databasens nuvarande innehåll ersätts."
        )
    )
    parser.add_argument("file", type=Path, help="säkerhetskopian (.dump eller .sqlite3)")
    options = parser.parse_args(arguments)
    try:
        database = database_from_environment()
        check_backup_file(options.file, database)
        print(f"Återställer {options.file} till {describe(database)}.")
        print("Databasens nuvarande innehåll ersätts av säkerhetskopians.")
        if kind_of(database) == POSTGRESQL:
            restore_postgresql(options.file, database)
        else:
            restore_sqlite(options.file, database)
    except BackupError as error:
        print(f"Fel: {error}", file=sys.stderr)
        return 1
    print(f"Klart: {describe(database)} har nu innehållet från {options.file}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
