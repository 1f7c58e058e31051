"""Keep patient data out of the logs.

Request lines are logged without their query string: a case search puts a patient's name or MRN
in the URL. SQL parameters never appear in error messages (SQLAlchemy's hide_parameters, set in
config.py), and the message of a database error, which can quote the refused row, is not logged.
"""

from __future__ import annotations

import logging
import re

QUERY = re.compile(r"\?[^\s\"]*")
REDACTED = "?[query omitted]"


class OmitQueryStrings(logging.Filter):
    """Rewrites a log record's arguments so that no URL keeps its query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                QUERY.sub(REDACTED, arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.msg, str) and not record.args:
            record.msg = QUERY.sub(REDACTED, record.msg)
        return True


def install(app_logger: logging.Logger) -> None:
    """Filter the development server's request log and the app's error log (idempotent);
    gunicorn's access log format in gunicorn.conf.py leaves the query string out itself."""
    for logger, kind in (
        (logging.getLogger("werkzeug"), OmitQueryStrings),
        (app_logger, ScrubDatabaseErrors),
    ):
        if not any(isinstance(f, kind) for f in logger.filters):
            logger.addFilter(kind())


class ScrubDatabaseErrors(logging.Filter):
    """A database error's message can quote the row it refused (PostgreSQL: "Failing row
    contains …", "Key (mrn)=(…) already exists"): the log keeps the traceback and the error's
    type, never its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        from sqlalchemy.exc import DBAPIError

        if record.exc_info and isinstance(record.exc_info[1], DBAPIError):
            error = record.exc_info[1]
            scrubbed = RuntimeError(
                f"{type(error).__name__} from the database ({type(error.orig).__name__}); "
                "its message may quote patient data and is not logged"
            ).with_traceback(error.__traceback__)
            record.exc_info = (RuntimeError, scrubbed, error.__traceback__)
            record.exc_text = None
        return True
