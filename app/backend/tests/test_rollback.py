"""Upgrades and rollbacks across a migration (issue 13, docs/OPERATIONS.md "Roll back").

Migrations only move forward in a deployment: `python -m app.prestart` runs `alembic upgrade head`
and nothing else. Two situations follow, both tested here on a real PostgreSQL:

- During a rolling update the new release's init container migrates first, while pods of the
  previous release still serve. Their code must work against the newer schema: it does when the
  migration only adds (here a column with a default), which is how migrations must be written.
- Rolling back to a release older than the schema: that release's prestart does not know the
  database's revision and refuses (exit 1, naming the revision) without touching anything, so its
  pods never start and the running ones keep serving.
"""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from alembic.script import ScriptDirectory

from app.prestart import MIGRATION_LOCK_KEY, alembic_config, migrate
from tests.conftest import make_settings
from tests.helpers import BACKEND_DIR, auth, backend_env, connect, create_database, drop_database, running_server

# A revision id no release of this code has: the database was migrated by a newer release.
NEWER_REVISION = "f00dfeedbeef"


@pytest.fixture
def migrated_database(server_url: str) -> Iterator[str]:
    url = create_database(server_url, "todo_rollback")
    migrate(make_settings(url))
    yield url
    drop_database(server_url, url)


def code_head(database_url: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(make_settings(database_url))).get_current_head()
    assert head is not None
    return head


def migrate_as_newer_release(database_url: str) -> None:
    """What a newer release's additive migration does: a new column with a default, a new revision."""
    with connect(database_url) as connection:
        connection.execute("ALTER TABLE task ADD COLUMN priority integer NOT NULL DEFAULT 0")
        connection.execute("UPDATE alembic_version SET version_num = %s", (NEWER_REVISION,))


def run_backend_module(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=BACKEND_DIR,
        env=backend_env(database_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_prestart_of_an_older_release_refuses_a_newer_schema_and_changes_nothing(migrated_database: str) -> None:
    with connect(migrated_database) as connection:
        connection.execute(
            "INSERT INTO task (user_id, title, completed, created_at, updated_at)"
            " VALUES ('alice', 'kept', false, now(), now())"
        )
    migrate_as_newer_release(migrated_database)

    result = run_backend_module(migrated_database, "app.prestart")

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    # The last line of the init container's log (kubectl logs POD -c migrate): what happened and what to do.
    last = json.loads(output.rstrip().splitlines()[-1])
    assert last["level"] == "ERROR"
    assert last["message"].startswith("the database schema is newer than this release; nothing was changed")
    assert "docs/OPERATIONS.md, Roll back" in last["message"]
    assert last["reason"] == f"Can't locate revision identified by '{NEWER_REVISION}'"
    assert "Traceback" not in output
    assert "Running upgrade" not in output
    with connect(migrated_database) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(NEWER_REVISION,)]
        assert connection.execute("SELECT title, priority FROM task").fetchall() == [("kept", 0)]
        # The migration lock went with the process: the next prestart is not blocked.
        assert connection.execute("SELECT pg_try_advisory_lock(%s)", (MIGRATION_LOCK_KEY,)).fetchone() == (True,)


def test_alembic_cli_in_the_image_tells_which_revision_the_database_and_the_code_are_at(migrated_database: str) -> None:
    """The commands docs/OPERATIONS.md gives (run in the backend container, whose working directory is the app's)."""
    head = code_head(migrated_database)
    heads = run_backend_module(migrated_database, "alembic", "heads")
    assert (heads.returncode, heads.stdout.strip()) == (0, f"{head} (head)"), heads.stderr
    current = run_backend_module(migrated_database, "alembic", "current")
    assert (current.returncode, current.stdout.strip()) == (0, f"{head} (head)"), current.stderr

    migrate_as_newer_release(migrated_database)
    newer = run_backend_module(migrated_database, "alembic", "current")
    assert (newer.returncode, newer.stdout.strip()) == (
        255,
        f"FAILED: Can't locate revision identified by '{NEWER_REVISION}'",
    ), newer.stderr


def test_server_of_the_previous_release_keeps_serving_against_an_additive_newer_schema(
    migrated_database: str, tmp_path: Path
) -> None:
    """The rolling-update case: old pods serve while the new release's init container has migrated."""
    migrate_as_newer_release(migrated_database)
    with running_server(backend_env(migrated_database), tmp_path / "server.log") as (_, base_url):
        assert httpx.get(f"{base_url}/ready", timeout=5).status_code == 200
        created = httpx.post(
            f"{base_url}/api/tasks", json={"title": "written by the old code"}, headers=auth(), timeout=5
        )
        assert created.status_code == 201, created.text
        listed = httpx.get(f"{base_url}/api/tasks", headers=auth(), timeout=5)
        assert [task["title"] for task in listed.json()["items"]] == ["written by the old code"]
    with connect(migrated_database) as connection:
        # The new column's default filled what the old code did not know about.
        assert connection.execute("SELECT priority FROM task").fetchall() == [(0,)]
