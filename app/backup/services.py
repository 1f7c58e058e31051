"""Online backup and restore.

SQLite: the SQLite online backup API copies a consistent snapshot page by page while the app
keeps writing. PostgreSQL: pg_dump takes one transaction's snapshot (custom format);
pg_restore puts it back. Neither reads nor writes the data through the app's own models, so a
backup holds every table, the audit trail included.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(RuntimeError):
    """The backup or restore could not be done; the message says why."""


def default_target(folder: Path, url: URL) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    suffix = "sqlite3" if url.get_backend_name() == "sqlite" else "pgdump"
    return folder / f"tumorboard-{stamp}.{suffix}"


def backup(database_url: str | URL, target: Path) -> Path:
    """Write a consistent copy of the database to `target` (which must not exist yet)."""
    url = make_url(database_url)
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(Path(url.database), target)
    elif url.get_backend_name() == "postgresql":
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", _libpq(url)])
    else:
        raise BackupError(f"No backup method for {url.get_backend_name()} databases.")
    return target


def restore(backup_file: Path, database_url: str | URL) -> None:
    """Replace the database's contents with the backup's. The app must not be running."""
    url = make_url(database_url)
    backup_file = Path(backup_file)
    if not backup_file.is_file():
        raise BackupError(f"{backup_file} is not a file.")
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(backup_file, Path(url.database))
    elif url.get_backend_name() == "postgresql":
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_libpq(url)}",
                str(backup_file),
            ]
        )
    else:
        raise BackupError(f"No restore method for {url.get_backend_name()} databases.")


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"The SQLite database {source} does not exist.")
    with sqlite3.connect(source) as reader, sqlite3.connect(target) as writer:
        # Copies a consistent snapshot even while the app writes (it restarts if a write
        # changes pages it has copied; with WAL, readers see the last commit).
        reader.backup(writer)
    reader.close()
    writer.close()


def _libpq(url: URL) -> str:
    """The URL as libpq tools take it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found: install the PostgreSQL client tools.")
    return path


def _run(command: list[str]) -> None:
    finished = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if finished.returncode != 0:
        # The tools' messages name objects, never row values.
        raise BackupError(f"{Path(command[0]).name} failed: {finished.stderr.strip()}")
