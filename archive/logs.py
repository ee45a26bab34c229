"""Logging filters (settings.LOGGING)."""

from __future__ import annotations

import logging

MAX_LINE = 500


class OneLine(logging.Filter):
    """A record as one line of at most MAX_LINE characters, without its traceback.

    For what visitors cause and we refuse (a Host header not in ALLOWED_HOSTS): Django logs the
    whole header and a traceback, so an 8,000-character header wrote 33 KB per request.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = " ".join(record.getMessage().splitlines())
        if len(message) > MAX_LINE:
            message = f"{message[:MAX_LINE]}… ({len(message)} characters)"
        record.msg, record.args = message, None
        record.exc_info = record.exc_text = record.stack_info = None
        return True


class NotOutage(logging.Filter):
    """Drops Django's "Service Unavailable" line for requests answered 503 because the database
    was unavailable: archive.outage logs those once per burst, not once per request."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        return not getattr(request, "database_unavailable", False)
