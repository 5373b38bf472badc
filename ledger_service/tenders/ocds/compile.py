"""OCDS: merging releases into a compiled record; release and record packages."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ledger_service.core.errors import MalformedInput
from ledger_service.tenders.ocds.schema import DATE_TIME
from ledger_service.tenders.ocds.steps import BID_EXTENSION_URL, OCDS_VERSION, stamp

# ------------------------------------------------------------------ merging and packages

_OMIT_WHEN_MERGED = ("id", "date", "tag")


def _identified(array: list[Any]) -> bool:
    return all(isinstance(item, dict) and "id" in item for item in array)


def _merge_value(old: Any, new: Any) -> Any:
    if isinstance(new, dict):
        merged = old if isinstance(old, dict) else {}
        _merge_object(merged, new)
        return merged
    if isinstance(new, list) and _identified(new):
        items = old if isinstance(old, list) and _identified(old) else []
        for item in new:
            match = next((o for o in items if o["id"] == item["id"]), None)
            if match is None:
                items.append(_merge_value(None, item))
            else:
                _merge_object(match, item)
        return items
    return copy.deepcopy(new)


def _merge_object(target: dict[str, Any], new: Mapping[str, Any]) -> None:
    for key, value in new.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = _merge_value(target.get(key), value)


def compile_release(releases: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The compiled release of one ocid's releases, by the OCDS 1.1 merge routine.

    OCDS 1.1 "Merging" (https://standard.open-contracting.org/1.1/en/schema/merging/):
    releases in date order (ties keep their order); ``id``, ``date`` and ``tag`` dropped
    (omitWhenMerged); later values win; ``null`` removes a field; arrays whose items
    are all objects with an ``id`` merge item by item on ``id`` (identifier merge), any
    other array is replaced whole. The result has ``tag: ["compiled"]``, the latest
    date, and ``id`` ``<ocid>-<date>`` as the reference implementation does. Unlike
    the full routine this does not read ``wholeListMerge`` from the schema: none of the
    fields we emit set it.

    Raises MalformedInput: no releases, releases of several ocids, or a bad date.
    """
    if not releases:
        raise MalformedInput("releases: expected at least one release, found none")
    ocids = {r.get("ocid") for r in releases}
    if len(ocids) != 1:
        raise MalformedInput(f"releases: expected one ocid, found {sorted(map(str, ocids))}")

    def instant(release: Mapping[str, Any]) -> datetime:
        date = release.get("date")
        if type(date) is not str or not DATE_TIME.fullmatch(date):
            raise MalformedInput(
                f"release {release.get('id')!r}: expected an RFC 3339 date, found {date!r}"
            )
        return datetime.fromisoformat(date.upper().replace("Z", "+00:00"))

    ordered = sorted(releases, key=instant)
    merged: dict[str, Any] = {}
    for release in ordered:
        _merge_object(merged, {k: v for k, v in release.items() if k not in _OMIT_WHEN_MERGED})
    date = ordered[-1]["date"]
    the_ocid = ordered[-1]["ocid"]
    return {
        "ocid": the_ocid,
        "id": f"{the_ocid}-{date}",
        "date": date,
        "tag": ["compiled"],
        **merged,
    }


def _package(published_date: datetime, publisher_name: str, uri: str) -> dict[str, Any]:
    if type(publisher_name) is not str or not publisher_name.strip():
        raise MalformedInput(f"publisher_name: expected a non-empty name, found {publisher_name!r}")
    return {"uri": uri, "version": OCDS_VERSION, "extensions": [BID_EXTENSION_URL],
            "publishedDate": stamp(published_date), "publisher": {"name": publisher_name}}  # fmt: skip


def release_package(
    releases: Sequence[Mapping[str, Any]], published_date: datetime, publisher_name: str,
    *, uri: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """An OCDS 1.1 release package of ``releases`` (copied).

    ``uri`` should be the URL the package is served at; by default a URN naming the
    first ocid and the last release. Raises MalformedInput: no releases, a naive
    ``published_date`` or an empty ``publisher_name``.
    """
    if not releases:
        raise MalformedInput("releases: expected at least one release, found none")
    uri = (
        uri
        or f"urn:chainwitness:ocds:release-package:{releases[0].get('ocid')}:{releases[-1].get('id')}"
    )
    return {
        **_package(published_date, publisher_name, uri),
        "releases": copy.deepcopy(list(releases)),
    }


def record_package(
    releases: Sequence[Mapping[str, Any]], published_date: datetime, publisher_name: str,
    *, uri: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """An OCDS 1.1 record package: one record with ``releases`` embedded and compiled.

    Raises MalformedInput as :func:`compile_release` and :func:`release_package` do.
    """
    compiled = compile_release(releases)
    uri = uri or f"urn:chainwitness:ocds:record-package:{compiled['id']}"
    record = {
        "ocid": compiled["ocid"],
        "releases": copy.deepcopy(list(releases)),
        "compiledRelease": compiled,
    }
    return {**_package(published_date, publisher_name, uri), "records": [record]}
