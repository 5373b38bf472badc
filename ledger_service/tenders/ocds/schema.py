"""OCDS: the shipped 1.1.5 release schema with the bids extension, and validation."""

from __future__ import annotations

import copy
import functools
import json
import re
from datetime import datetime
from importlib import resources
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import best_match

from ledger_service.core.errors import MalformedInput

_RELEASE_SCHEMA = "release-schema-1.1.5.json"
_BID_EXTENSION = "bid-extension-release-schema.json"
DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


# ------------------------------------------------------------------ validation


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 MergePatch(target, patch), returning a new value (inputs untouched)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # formats constrain strings only
    if not DATE_TIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@functools.cache
def _validator() -> Draft4Validator:
    folder = resources.files("ledger_service.tenders") / "schema"
    base, patch = (
        json.loads((folder / name).read_text("utf-8")) for name in (_RELEASE_SCHEMA, _BID_EXTENSION)
    )
    # jsonschema checks "date-time" only with an optional package installed; check it ourselves
    formats = FormatChecker(formats=())
    formats.checks("date-time")(_is_date_time)
    return Draft4Validator(merge_patch(base, patch), format_checker=formats)


def release_schema() -> dict[str, Any]:
    """A copy of the OCDS 1.1.5 release schema with the bids extension merged in."""
    return copy.deepcopy(dict(_validator().schema))


def validate_release(release: object) -> None:
    """Check ``release`` against the OCDS 1.1.5 release schema extended with bids.

    ``date-time`` formats are checked (RFC 3339). Raises MalformedInput naming the
    JSON path and message of the most relevant error (jsonschema's ``best_match``)
    and how many others there are.
    """
    if not isinstance(release, dict):
        raise MalformedInput(f"release: expected a JSON object, found {type(release).__name__}")
    errors = list(_validator().iter_errors(release))
    if errors:
        error = best_match(errors)
        assert error is not None  # errors is non-empty
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise MalformedInput(f"OCDS release {error.json_path}: {error.message}{more}")
