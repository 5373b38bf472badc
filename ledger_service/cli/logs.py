"""Log output of every command: readable text by default, JSON lines by option.

``--log-format json`` (or ``CHAINWITNESS_LOG_FORMAT=json``) writes one JSON object per
line: ``ts`` (RFC 3339 UTC), ``level``, ``logger``, ``message``, and every identifier
the line was logged with (``event``, ``tree_size``, ``tx``, ``block``, ``tender``...),
plus ``exc`` with the traceback when there is one. The server's access and error
lines (uvicorn) go through the same handler.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Literal

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: attributes every LogRecord has: anything else was passed with ``extra=``
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName",
}  # fmt: skip
NOISY = ("web3", "urllib3", "httpx", "alembic")


class JsonLines(logging.Formatter):
    """One JSON object per record; the identifiers given with ``extra=`` are its fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }  # fmt: skip
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = (
                    value if isinstance(value, str | int | float | bool | None) else str(value)
                )
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(fmt: Literal["text", "json"], verbose: bool = False) -> None:
    """Configure the root logger for this process, like ``logging.basicConfig``: a root
    logger that already has handlers (a host program's, a test runner's) is kept."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)


def is_json() -> bool:
    """True when the root logger writes JSON lines (``--log-format json``)."""
    return any(isinstance(h.formatter, JsonLines) for h in logging.getLogger().handlers)
