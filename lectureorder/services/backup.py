"""Backups: one archive holding a consistent copy of the database and the photos folder.

An archive is a ``.tar.gz`` file (or, for any other path, a directory) with ``manifest.json``,
the database copy and ``photos/``:

- SQLite: ``database.sqlite``, made with SQLite's online backup API (``Connection.backup``) in
  one step, i.e. one read transaction: a snapshot of every committed transaction at that
  instant, never a half-written one, while the app goes on writing (WAL lets writers carry on).
- PostgreSQL: ``database.dump``, ``pg_dump --format=custom`` (one repeatable-read snapshot),
  restored with ``pg_restore --clean --if-exists --no-owner``.

The database is copied before the photos: a photo's file is stored before its row commits, so
every photo the copied database names is in the archive (a later one may be there too, unnamed).
Restoring refuses a database or photos folder that already holds data unless ``force``.
This is an edge helper for the CLI: it takes paths and URIs, never the app.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite"
PG_FILE = "database.dump"
PHOTOS = "photos"
# Rows in these tables do not make a database "in use" (`flask db upgrade` writes them).
BOOKKEEPING_TABLES = {"alembic_version", "change_stamp"}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Outcome:
    path: Path
    engine: str
    photos: int
    tables: dict[str, int]


def is_archive_file(path: Path) -> bool:
    return path.name.endswith((".tar.gz", ".tgz"))


# ---------------------------------------------------------------------------------- commands

def libpq_target(uri: str) -> tuple[str, dict[str, str]]:
    """A SQLAlchemy PostgreSQL URI as a libpq one for pg_dump/pg_restore, with the password
    moved to PGPASSWORD (a password in argv is visible to every user of the machine)."""
    url = make_url(uri)
    env = {"PGPASSWORD": url.password} if url.password else {}
    plain = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                       database=url.database, query=url.query)
    return plain.render_as_string(hide_password=False), env


def pg_dump_command(uri: str, dump: Path | str) -> list[str]:
    target, _ = libpq_target(uri)
    return ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", f"--dbname={target}"]


def pg_restore_command(uri: str, dump: Path | str) -> list[str]:
    target, _ = libpq_target(uri)
    return ["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error",
            "--single-transaction", f"--dbname={target}", str(dump)]


def _run(command: list[str], uri: str) -> None:
    _, env = libpq_target(uri)
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install "
                          f"postgresql-client, the same major version as the server)")
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()}")


# ----------------------------------------------------------------------------------- backup

def backup(uri: str, photo_root: Path | str, target: Path | str, *, now: datetime) -> Outcome:
    """Write an archive of the database at ``uri`` and the photos under ``photo_root``."""
    target = Path(target)
    if target.exists() and (target.is_file() or any(target.iterdir())):
        raise BackupError(f"{target} already exists; choose a new name (backups are never "
                          f"overwritten)")
    url = make_url(uri)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=target.parent) as tmp:
        stage = Path(tmp) / "archive"
        stage.mkdir()
        if url.get_backend_name() == "sqlite":
            engine = "sqlite"
            _copy_sqlite(_sqlite_path(uri), stage / SQLITE_FILE)
            tables = _sqlite_counts(stage / SQLITE_FILE)
        elif url.get_backend_name() == "postgresql":
            engine = "postgresql"
            tables = _counts(uri)
            _run(pg_dump_command(uri, stage / PG_FILE), uri)
        else:
            raise BackupError(f"no backup for {url.get_backend_name()} databases")
        photos = _copy_photos(Path(photo_root), stage / PHOTOS)
        manifest = {
            "format": FORMAT, "engine": engine, "photos": photos, "tables": tables,
            "created_at": now.isoformat(timespec="seconds"),
        }
        (stage / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        # Written under a temporary name and renamed: a half-written archive is never mistaken
        # for a backup.
        if is_archive_file(target):
            partial = Path(tmp) / "archive.tar.gz"
            with tarfile.open(partial, "w:gz") as tar:
                for item in sorted(stage.iterdir()):
                    tar.add(item, arcname=item.name)
            os.replace(partial, target)
        else:
            if target.exists():
                target.rmdir()
            os.replace(stage, target)
    return Outcome(target, engine, photos, tables)


def _sqlite_path(uri: str) -> Path:
    database = make_url(uri).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _copy_sqlite(source: Path, copy: Path) -> None:
    if not source.exists():
        raise BackupError(f"no database at {source}")
    # Not mode=ro: a read-only connection cannot open a WAL database whose -shm is gone.
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(copy)
    try:
        # pages=-1: the whole file in one step, one read transaction, one snapshot. (A copy in
        # several steps starts again whenever another connection writes, i.e. all the time.)
        src.backup(dst, pages=-1)
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copy failed SQLite's integrity check: {check}")
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()


def _sqlite_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        names = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in sorted(names)}
    finally:
        conn.close()


def _counts(uri: str) -> dict[str, int]:
    engine = create_engine(uri, hide_parameters=True)
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
            return {n: conn.scalar(text(f'SELECT count(*) FROM "{n}"')) for n in sorted(names)}
    finally:
        engine.dispose()


def _copy_photos(root: Path, copy: Path) -> int:
    copy.mkdir()
    if not root.is_dir():
        return 0
    count = 0
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            dest = copy / path.relative_to(root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copy2(path, dest)
            except FileNotFoundError:  # deleted while we copied: its row is gone too
                continue
            count += 1
    return count


# ---------------------------------------------------------------------------------- restore

def in_use(uri: str, photo_root: Path | str) -> list[str]:
    """What a restore would overwrite: tables with rows, a photos folder with files."""
    found = []
    url = make_url(uri)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(uri)
        counts = _sqlite_counts(path) if path.exists() else {}
    else:
        counts = _counts(uri)
    found += [f"{name} ({n} rows)" for name, n in counts.items()
              if n and name not in BOOKKEEPING_TABLES]
    root = Path(photo_root)
    if root.is_dir() and any(p.is_file() for p in root.rglob("*")):
        found.append(f"photos in {root}")
    return found


def restore(source: Path | str, uri: str, photo_root: Path | str, *, force: bool = False,
            on_step: Callable[[str], None] = lambda _: None) -> Outcome:
    """Put an archive's database and photos in place of the ones at ``uri``/``photo_root``.
    Stop the web workers and the scheduler first."""
    source = Path(source)
    if not source.exists():
        raise BackupError(f"no backup at {source}")
    with tempfile.TemporaryDirectory(prefix=".restore-") as tmp:
        archive = source
        if source.is_file():
            archive = Path(tmp) / "archive"
            with tarfile.open(source, "r:*") as tar:
                tar.extractall(archive, filter="data")
        try:
            manifest = json.loads((archive / MANIFEST).read_text())
        except (OSError, ValueError) as exc:
            raise BackupError(f"{source} is not a LectureOrder backup ({MANIFEST}: {exc})") from exc
        engine = make_url(uri).get_backend_name()
        if manifest.get("engine") != engine:
            raise BackupError(f"this backup is of a {manifest.get('engine')} database; the "
                              f"configured one is {engine}")
        busy = in_use(uri, photo_root)
        if busy and not force:
            raise BackupError("the target already holds data (" + ", ".join(busy[:5])
                              + "); pass --force to replace it")
        if engine == "sqlite":
            on_step(f"database → {_sqlite_path(uri)}")
            _restore_sqlite(archive / SQLITE_FILE, _sqlite_path(uri))
        else:
            on_step("database → pg_restore")
            _run(pg_restore_command(uri, archive / PG_FILE), uri)
        on_step(f"photos → {photo_root}")
        photos = _replace_photos(archive / PHOTOS, Path(photo_root))
        return Outcome(Path(source), engine, photos, manifest.get("tables", {}))


def _restore_sqlite(copy: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        # The backup API writes into the live file through SQLite (its WAL and locks), where
        # copying the file over would leave a stale -wal beside it.
        src.backup(dst, pages=-1)
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the restored database failed SQLite's integrity check: {check}")
    finally:
        dst.close()
        src.close()


def _replace_photos(copy: Path, root: Path) -> int:
    if root.exists():
        shutil.rmtree(root)
    if copy.is_dir():
        shutil.copytree(copy, root)
    else:
        root.mkdir(parents=True)
    return sum(1 for p in root.rglob("*") if p.is_file())
