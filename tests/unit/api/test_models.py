"""``models.Answer``: a handler's dict, validated, serializes back to the same JSON."""

from __future__ import annotations

import json

import pytest
from pydantic import TypeAdapter, ValidationError

from ledger_service.api.models import Answer


class _Inner(Answer):
    b: int
    c: str | None = None


class _Outer(Answer):
    z: int
    inner: _Inner
    items: list[_Inner]


def _round_trip(value: object) -> str:
    adapter = TypeAdapter(_Outer)
    return json.dumps(adapter.dump_python(adapter.validate_python(value), mode="json"))


def test_members_keep_their_order_extras_and_absence() -> None:
    value = {"x": 1, "inner": {"c": "q", "b": 2, "extra": [1]}, "z": 5, "items": [{"b": 1}]}
    assert _round_trip(value) == json.dumps(value)


def test_a_present_null_stays_and_an_absent_optional_member_is_not_added() -> None:
    value = {"z": 1, "inner": {"b": 2, "c": None}, "items": [{"b": 3}]}
    assert _round_trip(value) == json.dumps(value)


@pytest.mark.parametrize("wrong", ["2", True, 2.0])
def test_a_member_of_another_type_is_refused_not_converted(wrong: object) -> None:
    with pytest.raises(ValidationError, match="inner.b"):
        _round_trip({"z": 1, "inner": {"b": wrong}, "items": []})


def test_the_schema_documents_the_fields_not_a_bare_object() -> None:
    schema = _Outer.model_json_schema(mode="serialization")
    assert set(schema["properties"]) == {"z", "inner", "items"}
    assert schema["required"] == ["z", "inner", "items"]
