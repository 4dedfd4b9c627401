"""`make backup` / `make restore`: a restored database holds exactly what was backed up.

scripts/backup.py and scripts/restore.py run as subprocesses, as operators run them, without
any DJANGO_ variable: they must work where the portal's settings would refuse to load.
"""

import datetime
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from followup.models import ActivityReview, Assessment, FollowUp
from followup.rounds import close_round, save_review, write_revision
from plans.models import ActivityStatus

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_dump/pg_restore need the suite on PostgreSQL (DATABASE_URL=postgres://…)",
)
sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="copies the suite's own SQLite database into a file; the PostgreSQL run has its own",
)


def run_script(name: str, *arguments, database_url: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    environment["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *map(str, arguments)],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def build_plan_with_history(make_activities, django_user_model, client) -> None:
    """A plan with some life behind it: activities edited more than once (several history rows
    each), a closed follow-up round with its plan version, a revision, and a login session."""
    user = django_user_model.objects.create_user(
        "planadmin", password="lösenord-för-test", first_name="Pia", last_name="Plan"
    )
    plan, activities = make_activities(5)
    for edits, activity in enumerate(activities[:3], start=1):
        for edit in range(edits):
            activity.title = f"{activity.title} – ändring {edit + 1}"
            activity._history_user = user
            activity.save()
    follow_up = FollowUp.objects.create(plan=plan, year=2025, deadline=datetime.date(2026, 1, 31))
    for activity in activities[:4]:
        review = ActivityReview(
            follow_up=follow_up,
            activity=activity,
            assessment=Assessment.ON_TRACK,
            done="Genomfört enligt plan.",
            new_status=ActivityStatus.ONGOING,
        )
        values = {indicator: Decimal("61.5") for indicator in activity.indicators.all()}
        save_review(review, actual_values=values, user=user)
    close_round(follow_up, user=user, reason="En aktivitet rapporterades inte i tid.")
    write_revision(
        plan,
        user=user,
        decided_by="Styrgruppen",
        decision_date=datetime.date(2026, 3, 1),
        decision_reference="KS 2026/17",
    )
    client.force_login(user)


# PostgreSQL ------------------------------------------------------------------------------------


def postgresql_url(settings_dict: dict, name: str) -> str:
    credentials = quote(settings_dict["USER"] or "", safe="")
    if settings_dict["PASSWORD"]:
        credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    at = "@" if credentials else ""
    return f"postgres://{credentials}{at}{settings_dict['HOST'] or ''}{port}/{quote(name, safe='')}"


def postgresql_connect(settings_dict: dict, name: str, **options):
    parameters = {
        "dbname": name,
        "host": settings_dict["HOST"],
        "port": settings_dict["PORT"],
        "user": settings_dict["USER"],
        "password": settings_dict["PASSWORD"],
    }
    return psycopg.connect(**{key: value for key, value in parameters.items() if value}, **options)


def postgresql_contents(settings_dict: dict, name: str, tables: list[str]) -> dict:
    """Per table its row count and a digest of every row; the sequences' positions; the
    plan versions' snapshots as JSON text."""
    with postgresql_connect(settings_dict, name) as database:
        rows = {
            table: database.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text),"
                    " '')) FROM {} AS t"
                ).format(sql.Identifier(table))
            ).fetchone()
            for table in tables
        }
        return {
            "tables": set(
                database.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ).fetchall()
            ),
            "rows": rows,
            # A restored database whose sequences started again at 1 would refuse the next save.
            "sequences": dict(
                database.execute(
                    "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
                ).fetchall()
            ),
            "snapshots": database.execute(
                "SELECT id, snapshot::text FROM followup_planversion ORDER BY id"
            ).fetchall(),
        }


@pytest.fixture
def restore_database(django_db_setup):
    """An empty database beside the test database, dropped afterwards whatever happened."""
    settings_dict = connection.settings_dict
    name = f"{settings_dict['NAME']}_restore"

    def drop():
        with postgresql_connect(settings_dict, settings_dict["NAME"], autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    drop()  # left over from a run that was killed
    with postgresql_connect(settings_dict, settings_dict["NAME"], autocommit=True) as admin:
        # template0: empty for sure, and never connected to (CREATE DATABASE refuses to copy a
        # template that someone is connected to).
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    yield name
    drop()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_postgresql_restore_gives_back_every_row_and_every_plan_version(
    make_activities, django_user_model, client, restore_database, tmp_path
):
    build_plan_with_history(make_activities, django_user_model, client)
    settings_dict = connection.settings_dict
    tables = connection.introspection.table_names()
    assert {"plans_historicalactivity", "followup_planversion", "django_session"} <= set(tables)
    source = postgresql_contents(settings_dict, settings_dict["NAME"], tables)
    assert source["rows"]["plans_historicalactivity"][0] > 5
    assert len(source["snapshots"]) == 2
    dump = tmp_path / "portal.dump"

    backup = run_script(
        "backup.py", dump, database_url=postgresql_url(settings_dict, settings_dict["NAME"])
    )
    assert backup.returncode == 0, backup.stdout + backup.stderr
    restore = run_script(
        "restore.py", dump, database_url=postgresql_url(settings_dict, restore_database)
    )
    assert restore.returncode == 0, restore.stdout + restore.stderr

    assert f"Återställer {dump} till PostgreSQL-databasen {restore_database}" in restore.stdout
    restored = postgresql_contents(settings_dict, restore_database, tables)
    assert restored["tables"] == source["tables"]
    assert {table: count for table, (count, _) in restored["rows"].items()} == {
        table: count for table, (count, _) in source["rows"].items()
    }
    assert restored["rows"] == source["rows"]
    assert restored["sequences"] == source["sequences"]
    assert restored["snapshots"] == source["snapshots"]
    assert [json.loads(text) for _, text in restored["snapshots"]] == [
        json.loads(text) for _, text in source["snapshots"]
    ]


# SQLite ----------------------------------------------------------------------------------------


def sqlite_contents(path: Path, tables: list[str]) -> dict:
    with closing(sqlite3.connect(path)) as database:
        return {
            table: sorted(
                # Table names come from the schema itself.
                database.execute(f'SELECT * FROM "{table}"').fetchall(),  # noqa: S608
                key=repr,
            )
            for table in tables
        }


def sqlite_snapshots(path: Path) -> list:
    with closing(sqlite3.connect(path)) as database:
        rows = database.execute("SELECT snapshot FROM followup_planversion ORDER BY id")
        return [json.loads(snapshot) for (snapshot,) in rows]


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_sqlite_restore_gives_back_every_row_and_every_plan_version(
    make_activities, django_user_model, client, tmp_path
):
    build_plan_with_history(make_activities, django_user_model, client)
    tables = connection.introspection.table_names()
    # The portal's database as a file, the way production keeps it.
    database_file = tmp_path / "portal.sqlite3"
    connection.ensure_connection()
    with closing(sqlite3.connect(database_file)) as copy:
        connection.connection.backup(copy)
    url = f"sqlite:///{database_file}"
    source = sqlite_contents(database_file, tables)
    snapshots = sqlite_snapshots(database_file)
    assert len(source["plans_historicalactivity"]) > 5
    assert len(snapshots) == 2
    assert source["django_session"]
    backup_file = tmp_path / "backups" / "portal.sqlite3"

    backup = run_script("backup.py", backup_file, database_url=url)
    assert backup.returncode == 0, backup.stdout + backup.stderr
    # Life goes on after the backup, and something is lost.
    with closing(sqlite3.connect(database_file)) as database:
        database.execute("DELETE FROM plans_historicalactivity")
        database.execute("DELETE FROM django_session")
        database.execute("UPDATE followup_planversion SET snapshot = '{}'")
        database.commit()
    assert sqlite_contents(database_file, tables) != source
    restore = run_script("restore.py", backup_file, database_url=url)
    assert restore.returncode == 0, restore.stdout + restore.stderr

    assert f"Återställer {backup_file} till SQLite-databasen {database_file}" in restore.stdout
    restored = sqlite_contents(database_file, tables)
    assert {table: len(rows) for table, rows in restored.items()} == {
        table: len(rows) for table, rows in source.items()
    }
    assert restored == source
    assert sqlite_snapshots(database_file) == snapshots


# Refusals --------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_database(tmp_path) -> Path:
    path = tmp_path / "portal.sqlite3"
    with closing(sqlite3.connect(path)) as database:
        database.execute("CREATE TABLE plans_activity (title TEXT)")
        database.execute("INSERT INTO plans_activity VALUES ('Läxhjälp')")
        database.commit()
    return path


def missing_dump(directory: Path) -> Path:
    return directory / "saknas.dump"


def missing_sqlite_backup(directory: Path) -> Path:
    return directory / "saknas.sqlite3"


def pg_dump_lookalike(directory: Path) -> Path:
    # pg_dump's custom format begins so; restore.py must refuse it before reading further.
    path = directory / "portal.dump"
    path.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(100))
    return path


def sqlite_backup(directory: Path) -> Path:
    path = directory / "portal-20260101-120000.sqlite3"
    with closing(sqlite3.connect(path)) as database:
        database.execute("CREATE TABLE plans_activity (title TEXT)")
        database.commit()
    return path


def text_named_dump(directory: Path) -> Path:
    path = directory / "anteckningar.dump"
    path.write_text("Inte en säkerhetskopia.\n")
    return path


# Never contacted: the file is refused first.
UNREACHABLE_POSTGRESQL = "postgres://planportal@127.0.0.1:1/finns_inte"


@pytest.mark.parametrize(
    ("make_file", "database", "message"),
    [
        (missing_dump, "sqlite", "finns inte"),
        (missing_sqlite_backup, "postgresql", "finns inte"),
        (pg_dump_lookalike, "sqlite", "PostgreSQL-databas, men DATABASE_URL pekar på SQLite"),
        (sqlite_backup, "postgresql", "SQLite-databas, men DATABASE_URL pekar på PostgreSQL"),
        (text_named_dump, "sqlite", "ingen säkerhetskopia"),
    ],
)
def test_restore_refuses_a_missing_file_or_one_of_the_wrong_kind(
    make_file, database, message, sqlite_database, tmp_path
):
    backup_file = make_file(tmp_path)
    url = f"sqlite:///{sqlite_database}" if database == "sqlite" else UNREACHABLE_POSTGRESQL

    result = run_script("restore.py", backup_file, database_url=url)

    assert result.returncode != 0
    assert str(backup_file) in result.stderr
    assert message in result.stderr
    assert "Återställer" not in result.stdout
    with closing(sqlite3.connect(sqlite_database)) as untouched:
        assert untouched.execute("SELECT title FROM plans_activity").fetchall() == [("Läxhjälp",)]


def test_backup_refuses_a_missing_sqlite_database_rather_than_backing_up_an_empty_one(tmp_path):
    missing = tmp_path / "fel-namn.sqlite3"

    result = run_script(
        "backup.py", tmp_path / "backup.sqlite3", database_url=f"sqlite:///{missing}"
    )

    assert result.returncode != 0
    assert f"SQLite-databasen {missing} finns inte" in result.stderr
    assert not missing.exists()
    assert not (tmp_path / "backup.sqlite3").exists()


def test_restore_without_a_file_prints_its_usage():
    result = run_script("restore.py", database_url="sqlite:///unused.sqlite3")

    assert result.returncode != 0
    assert "usage: restore.py" in result.stderr
