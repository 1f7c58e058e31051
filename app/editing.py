"""Optimistic locking: an edit based on a version someone else has changed since is refused.

Patients, cases, meetings and plans carry a `lock_version`. An edit form sends back the version
it was loaded with; the service compares it with the row's, and the versioned UPDATE catches a
save that slips in between the check and the commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import abort
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField
from wtforms.validators import ValidationError

from app.extensions import db


class StaleEdit(Exception):
    """An edit was based on a version someone else has changed since; `current` is the row now.

    `current` is None when the row no longer exists.
    """

    def __init__(self, current: Any):
        name = type(current).__name__ if current is not None else "row"
        super().__init__(f"{name} changed by someone else since the edit began")
        self.current = current


def check_version(row: Any, base_lock_version: int) -> None:
    """Raise StaleEdit unless `row` is still at the version the editor loaded."""
    if base_lock_version != row.lock_version:
        raise StaleEdit(row)


def apply_changes(row: Any, fields: dict, names: Iterable[str]) -> list[str]:
    """Set the `fields` (among `names`) whose value differs on `row`; return their names."""
    changed = [name for name in names if name in fields and getattr(row, name) != fields[name]]
    for name in changed:
        setattr(row, name, fields[name])
    return changed


def commit_edit(row: Any) -> None:
    """Commit the edit of `row`, or raise StaleEdit if another save reached the row first.

    The versioned UPDATE notices a save that came between the version check and the commit;
    StaleEdit then carries the row as that save left it.
    """
    model, row_id = type(row), row.id  # read now: after a rollback the row is expired
    try:
        db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise StaleEdit(db.session.get(model, row_id)) from error


def resume_after(stale: StaleEdit, form) -> Any:
    """The row as saved now, its version put in the refused `form` (404 if the row is gone).

    Saving the form again then applies the member's text over that version, knowingly.
    """
    if stale.current is None:
        abort(404)
    form.lock_version.data = str(stale.current.lock_version)
    return stale.current


class VersionedForm:
    """Form mixin: the version the member started editing from, in a hidden field."""

    lock_version = HiddenField()

    def validate_lock_version(self, field):
        try:
            int(field.data)
        except (TypeError, ValueError):
            raise ValidationError("This form is missing its version; reload the page.") from None

    @property
    def base_lock_version(self) -> int:
        return int(self.lock_version.data)
