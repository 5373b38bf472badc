"""Tests for ledger_service.core.records and ledger_service.core.canonical."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import pickle
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_service.core import merkle
from ledger_service.core.canonical import (
    MAX_SAFE_INTEGER,
    FrozenDict,
    canonicalize,
    freeze,
    parse_json_strict,
    thaw,
)
from ledger_service.core.errors import LimitExceeded, MalformedInput
from ledger_service.core.records import (
    DIGEST_HEX_LENGTHS,
    MAX_DIGESTS,
    MAX_METADATA_DEPTH,
    MAX_RECORD_BYTES,
    MAX_TEXT_CHARS,
    EvidenceRecord,
)

SAMPLE_DIGEST = hashlib.sha256(b"Chain Witness sample bid").hexdigest()
KAT_TIME = datetime(2026, 11, 30, 1, 51, 22, 123999, tzinfo=UTC)
STAMP = "2026-11-30T01:51:22.123Z"


def kat_record() -> EvidenceRecord:
    """The pinned record (also leaf 7 of the worked example in docs/proof-format.md)."""
    return EvidenceRecord.create(
        "bid.sealed",
        "tender/GC-2026-0042",
        "bidder:91310000MA1FL0XX0X",
        {"sha256": SAMPLE_DIGEST},
        {
            "lot": 3,
            "file_name": "投标文件.pdf",
            "size": 1048576,
            "tags": ["sealed", "final"],
            "note": 'line 1\nline 2\u2028\U0001f600\x01"\\',
            "": None,
            "ok": True,
        },
        now=KAT_TIME,
    )


KAT_BYTES = (
    b'{"actor":"bidder:91310000MA1FL0XX0X","digests":{"sha256":"fbb31aaae3db6cb9fc04a4acb7b9e2'
    b'0663855d90b6f20e1d12835422357b55bf"},"kind":"bid.sealed","metadata":{"":null,"file_name'
    b'":"\xe6\x8a\x95\xe6\xa0\x87\xe6\x96\x87\xe4\xbb\xb6.pdf","lot":3,"note":"line 1\\nline 2'
    b'\xe2\x80\xa8\xf0\x9f\x98\x80\\u0001\\"\\\\","ok":true,"size":1048576,"tags":["sealed","f'
    b'inal"]},"subject":"tender/GC-2026-0042","submitted_at":"2026-11-30T01:51:22.123Z","v":1}'
)
KAT_LEAF = "997fdb031b7f2b1abd6944702714c31ca7490eb3069f15a9e4694013652444a5"


def record(**changes: Any) -> EvidenceRecord:
    fields: dict[str, Any] = {
        "kind": "bid.sealed",
        "subject": "tender/1",
        "actor": "bidder/1",
        "digests": {"sha256": SAMPLE_DIGEST},
        "metadata": {},
        "submitted_at": STAMP,
    }
    fields.update(changes)
    return EvidenceRecord(**fields)


# ---------------------------------------------------------------- known answer, round trips


def test_known_answer() -> None:
    rec = kat_record()
    assert rec.submitted_at == STAMP  # truncated, not rounded, to milliseconds
    assert rec.canonical_bytes() == KAT_BYTES
    assert rec.leaf_hash().hex() == KAT_LEAF
    assert rec.leaf_hash() == merkle.leaf_hash(KAT_BYTES)
    assert rfc8785.dumps(rec.to_json()) == KAT_BYTES
    assert rec.v == 1


def test_round_trips() -> None:
    rec = kat_record()
    assert EvidenceRecord.from_json(rec.to_json()) == rec
    assert EvidenceRecord.from_json(json.loads(json.dumps(rec.to_json()))) == rec
    again = EvidenceRecord.from_canonical_bytes(KAT_BYTES)
    assert again == rec
    assert hash(again) == hash(rec)
    assert again.canonical_bytes() == KAT_BYTES
    assert rec.to_json()["metadata"]["tags"] == ["sealed", "final"]  # plain lists again


def test_record_is_immutable_and_detached_from_its_inputs() -> None:
    metadata: dict[str, Any] = {"a": {"b": [1]}}
    rec = record(metadata=metadata)
    metadata["a"]["b"].append(2)
    metadata["c"] = 1
    assert rec.canonical_bytes().endswith(b'"metadata":{"a":{"b":[1]}},"subject":"tender/1",'
                                          b'"submitted_at":"2026-11-30T01:51:22.123Z","v":1}')  # fmt: skip
    with pytest.raises(TypeError, match="FrozenDict is immutable"):
        rec.metadata["a"] = 2  # type: ignore[index]
    with pytest.raises(TypeError, match="FrozenDict is immutable"):
        rec.digests.update({})  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.kind = "other"  # type: ignore[misc]
    assert copy.deepcopy(rec) == rec
    assert pickle.loads(pickle.dumps(rec)) == rec


def test_create_stamps_time() -> None:
    plus8 = timezone(timedelta(hours=8))
    rec = EvidenceRecord.create(
        "k", "s", "a", {"sha256": SAMPLE_DIGEST}, now=KAT_TIME.astimezone(plus8)
    )
    assert rec.submitted_at == STAMP
    assert rec.metadata == {}
    edge = datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert EvidenceRecord.create(
        "k", "s", "a", {"sha256": SAMPLE_DIGEST}, now=edge
    ).submitted_at == ("2026-12-31T23:59:59.999Z")
    live = EvidenceRecord.create("k", "s", "a", {"sha256": SAMPLE_DIGEST})
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", live.submitted_at)
    with pytest.raises(
        MalformedInput, match=r"now: expected a timezone-aware datetime, found naive"
    ):
        EvidenceRecord.create("k", "s", "a", {"sha256": SAMPLE_DIGEST}, now=datetime(2026, 1, 1))


# ---------------------------------------------------------------- field rules


@pytest.mark.parametrize("kind", ["a", "bid.sealed", "x" * 64, "a0_.-", "tender.opened-v2"])
def test_kind_accepts(kind: str) -> None:
    assert record(kind=kind).kind == kind


@pytest.mark.parametrize(
    "kind", ["", "Bid", "0bid", "_x", "x" * 65, "bid sealed", "bid\n", "招标", 7]
)
def test_kind_rejects(kind: object) -> None:
    with pytest.raises(MalformedInput, match=r"^kind: expected a slug like 'bid.sealed'.*found"):
        record(kind=kind)


@pytest.mark.parametrize("name", ["subject", "actor"])
def test_text_limits(name: str) -> None:
    assert getattr(record(**{name: "招" * MAX_TEXT_CHARS}), name) == "招" * MAX_TEXT_CHARS
    assert MAX_TEXT_CHARS == 256
    with pytest.raises(MalformedInput, match=rf"^{name}: expected 1..256 characters, found 257$"):
        record(**{name: "x" * (MAX_TEXT_CHARS + 1)})
    with pytest.raises(MalformedInput, match=rf"^{name}: expected 1..256 characters, found 0$"):
        record(**{name: ""})
    for bad, code in [("a\nb", "000A"), ("a\u2028", "2028"), ("\x7f", "007F"), ("a\ud800", "D800")]:
        with pytest.raises(
            MalformedInput, match=rf"^{name}: expected printable text, found U\+{code}"
        ):
            record(**{name: bad})
    with pytest.raises(MalformedInput, match=rf"^{name}: expected a string, found int"):
        record(**{name: 5})


def test_digests() -> None:
    all_algorithms = {alg: "ab" * (n // 2) for alg, n in DIGEST_HEX_LENGTHS.items()}
    assert len(all_algorithms) == MAX_DIGESTS == 8
    rec = record(digests=all_algorithms)
    assert list(rec.digests) == sorted(all_algorithms)  # JCS order
    with pytest.raises(MalformedInput, match=r"^digests: expected 1..8 entries, found 0$"):
        record(digests={})
    with pytest.raises(LimitExceeded, match=r"^digests: expected 1..8 entries, found 9$"):
        record(digests={**all_algorithms, "md5": "00" * 16})
    with pytest.raises(
        MalformedInput, match=r"^digests: expected an algorithm among .*found 'md5'"
    ):
        record(digests={"md5": "00" * 16})
    with pytest.raises(MalformedInput, match=r"^digests\['sha256'\]: expected 64 lowercase hex"):
        record(digests={"sha256": SAMPLE_DIGEST.upper()})
    with pytest.raises(MalformedInput, match=r"found '00'"):
        record(digests={"sha256": "00"})
    with pytest.raises(MalformedInput, match=r"^digests\['sha256'\]: expected 64 lowercase hex"):
        record(digests={"sha256": "g" * 64})
    with pytest.raises(MalformedInput, match=r"^digests: expected an object, found list"):
        record(digests=[("sha256", SAMPLE_DIGEST)])


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-11-30T01:51:22Z",
        "2026-11-30T01:51:22.1234Z",
        "2026-11-30T01:51:22.123+00:00",
        "2026-11-30t01:51:22.123Z",
        "2026-11-30 01:51:22.123Z",
        "2026-11-30T01:51:22.123z",
        "２０２６-11-30T01:51:22.123Z",
        "2026-11-30T01:51:22.123Z\n",
    ],
)
def test_submitted_at_format(stamp: str) -> None:
    with pytest.raises(
        MalformedInput, match=r"^submitted_at: expected RFC 3339 UTC with milliseconds"
    ):
        record(submitted_at=stamp)


@pytest.mark.parametrize("stamp", ["2026-02-29T00:00:00.000Z", "2026-11-30T24:00:00.000Z",
                                   "2026-12-31T23:59:60.000Z", "2026-13-01T00:00:00.000Z"])  # fmt: skip
def test_submitted_at_calendar(stamp: str) -> None:
    with pytest.raises(MalformedInput, match=r"^submitted_at: expected a real calendar date"):
        record(submitted_at=stamp)


def test_version_field() -> None:
    with pytest.raises(MalformedInput, match=r"^v: expected 1, found 2$"):
        record(v=2)
    with pytest.raises(MalformedInput, match=r"^v: expected 1, found True$"):
        record(v=True)


# ---------------------------------------------------------------- metadata and limits


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def test_metadata_depth_limit() -> None:
    assert MAX_METADATA_DEPTH == 8
    record(metadata=_nested(8))
    with pytest.raises(
        LimitExceeded, match=r"^metadata(\['a'\]){8}: expected nesting depth <= 8, found deeper$"
    ):
        record(metadata=_nested(9))
    record(metadata={"a": [[[[[[[]]]]]]]})  # arrays count too: 8 containers
    with pytest.raises(LimitExceeded, match=r"nesting depth <= 8"):
        record(metadata={"a": [[[[[[[[]]]]]]]]})


def test_record_size_limit() -> None:
    base = len(record(metadata={"pad": ""}).canonical_bytes())
    exact = record(metadata={"pad": "x" * (MAX_RECORD_BYTES - base)})
    assert len(exact.canonical_bytes()) == MAX_RECORD_BYTES == 65536
    assert EvidenceRecord.from_canonical_bytes(exact.canonical_bytes()) == exact
    with pytest.raises(
        LimitExceeded, match=r"^record: expected at most 65536 canonical bytes, found 65537$"
    ):
        record(metadata={"pad": "x" * (MAX_RECORD_BYTES - base + 1)})
    # escapes count as written: "\n" takes two bytes, U+2028 three
    with pytest.raises(LimitExceeded, match=r"found 65537$"):
        record(metadata={"pad": "x" * (MAX_RECORD_BYTES - base - 1) + "\n"})
    with pytest.raises(LimitExceeded, match=r"^record: expected at most 65536 bytes, found 65537$"):
        EvidenceRecord.from_canonical_bytes(b" " * (MAX_RECORD_BYTES + 1))


@pytest.mark.parametrize(
    ("metadata", "error", "match"),
    [
        ({"x": 1.5}, MalformedInput, r"^metadata\['x'\]: expected no floats \(integers only\), found 1.5$"),
        ({"x": [0, {"y": 1.0}]}, MalformedInput, r"^metadata\['x'\]\[1\]\['y'\]: expected no floats"),
        ({"x": float("nan")}, MalformedInput, r"found nan"),
        ({"x": 2**53}, MalformedInput, r"^metadata\['x'\]: expected an integer within \+-\(2\*\*53 - 1\), found 9007199254740992$"),
        ({"x": -(2**53)}, MalformedInput, r"found -9007199254740992$"),
        ({1: "x"}, MalformedInput, r"^metadata: expected string keys, found 1$"),
        ({"x": {None: 1}}, MalformedInput, r"^metadata\['x'\]: expected string keys, found None$"),
        ({"x": b"bytes"}, MalformedInput, r"^metadata\['x'\]: expected a JSON value, found bytes$"),
        ({"x": {1, 2}}, MalformedInput, r"expected a JSON value, found set$"),
        ({"x": "a\ud800"}, MalformedInput, r"^metadata\['x'\]: expected Unicode text, found a lone surrogate$"),
        ({"k\udfff": 1}, MalformedInput, r"^metadata\['k\\udfff'\]: expected Unicode text, found a lone surrogate$"),
    ],
)  # fmt: skip
def test_metadata_rejects(metadata: dict[Any, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        record(metadata=metadata)


def test_metadata_accepts_edges() -> None:
    rec = record(
        metadata={"max": MAX_SAFE_INTEGER, "min": -MAX_SAFE_INTEGER, "t": (1, 2), "b": False}
    )
    assert (
        b'"b":false,"max":9007199254740991,"min":-9007199254740991,"t":[1,2]'
        in rec.canonical_bytes()
    )
    with pytest.raises(MalformedInput, match=r"^metadata: expected an object, found list$"):
        record(metadata=[1])


# ---------------------------------------------------------------- from_json / from_canonical_bytes


def test_from_json_rejects() -> None:
    good = kat_record().to_json()
    with pytest.raises(
        MalformedInput,
        match=r"^record: expected exactly the fields .* found missing \[\] and unknown \['extra'\]$",
    ):
        EvidenceRecord.from_json({**good, "extra": 1})
    without_v = {k: v for k, v in good.items() if k != "v"}
    with pytest.raises(MalformedInput, match=r"found missing \['v'\] and unknown \[\]$"):
        EvidenceRecord.from_json(without_v)
    with pytest.raises(MalformedInput, match=r"^record: expected an object, found list$"):
        EvidenceRecord.from_json([good])
    with pytest.raises(MalformedInput, match=r"^v: expected 1, found '1'$"):
        EvidenceRecord.from_json({**good, "v": "1"})


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (KAT_BYTES[:-1] + b',"v":1}', r"expected unique object keys, found 'v' twice"),
        (KAT_BYTES + b"x", r"expected a single JSON value, found extra data at line 1 column 365"),
        (KAT_BYTES + b"\n", r"expected canonical RFC 8785 bytes, found a different encoding .*byte 377"),
        (b" " + KAT_BYTES, r"expected canonical RFC 8785 bytes.*first difference at byte 0"),
        (KAT_BYTES.replace(b'"lot":3', b'"lot":3.0'), r"expected integers only, found the number 3.0"),
        (KAT_BYTES.replace(b'"lot":3', b'"lot":3e0'), r"expected integers only, found the number 3e0"),
        (KAT_BYTES.replace(b'"lot":3', b'"lot":NaN'), r"expected standard JSON, found NaN"),
        (KAT_BYTES.replace(b'"lot":3', b'"lot":03'), r"expected a single JSON value"),
        (KAT_BYTES.replace(b".pdf", b"\\u002epdf"), r"expected canonical RFC 8785 bytes"),
        (KAT_BYTES.replace(b'{"":null,', b'{').replace(b'"ok":true,', b'"ok":true,"":null,'),
         r"expected canonical RFC 8785 bytes"),
        (KAT_BYTES.replace(b"1048576", b"-0"), r"expected canonical RFC 8785 bytes"),
        (b"\xef\xbb\xbf" + KAT_BYTES, r"found a byte order mark"),
        (KAT_BYTES.replace(b"\xe6\x8a\x95", b"\xe6\x8a"), r"expected UTF-8 text, found an invalid byte at offset"),
        (KAT_BYTES.replace(b"line 1", b"\\ud800e 1"), r"^json\['metadata'\]\['note'\]: expected Unicode text, found a lone surrogate$"),
        (b"[]", r"^record: expected an object, found list$"),
    ],
)  # fmt: skip
def test_from_canonical_bytes_rejects(data: bytes, match: str) -> None:
    with pytest.raises(MalformedInput, match=match):
        EvidenceRecord.from_canonical_bytes(data)


def test_from_canonical_bytes_type() -> None:
    with pytest.raises(MalformedInput, match=r"^record: expected bytes, found str$"):
        EvidenceRecord.from_canonical_bytes(KAT_BYTES.decode())  # type: ignore[arg-type]


# ---------------------------------------------------------------- strict parser


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ('{"a":{"b":1,"b":1}}', MalformedInput, r"expected unique object keys, found 'b' twice"),
        ("Infinity", MalformedInput, r"expected standard JSON, found Infinity"),
        ("[-Infinity]", MalformedInput, r"found -Infinity"),
        ("-0.0", MalformedInput, r"expected integers only, found the number -0.0"),
        ("1E400", MalformedInput, r"found the number 1E400"),
        ("9007199254740992", MalformedInput, r"expected an integer within \+-\(2\*\*53 - 1\), found 9007199254740992"),
        ("1" * 5000, MalformedInput, r"found 11111111111111111111...\(5000 digits\)"),
        ("[1,]", MalformedInput, r"expected a single JSON value, found expecting value at line 1 column 4"),
        ("", MalformedInput, r"expected a single JSON value, found expecting value at line 1 column 1"),
        ('"\\udc00"', MalformedInput, r"^json: expected Unicode text, found a lone surrogate$"),
        ('{"\\ud800x":1}', MalformedInput, r"^json\['\\ud800x'\]: expected Unicode text"),
        ("[" * 100_000 + "]" * 100_000, LimitExceeded, r"expected JSON nested at most 64 levels"),
        ('{"a":' * 65 + "1" + "}" * 65, LimitExceeded, r"expected JSON nested at most 64 levels"),
        ("[" * 65 + "]" * 64, LimitExceeded, r"nested at most 64 levels, found deeper \(or unb"),
        (b"\xff", MalformedInput, r"expected UTF-8 text, found an invalid byte at offset 0"),
        (b'"\x00\x00"', MalformedInput, r"found invalid control character"),
        (7, MalformedInput, r"expected JSON text, found int"),
    ],
)  # fmt: skip
def test_parse_json_strict_rejects(text: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        parse_json_strict(text)


def test_parse_json_strict_accepts() -> None:
    assert parse_json_strict(b' {"a": [1, -9007199254740991, true, null, "\\ud83d\\ude00"]} ') == {
        "a": [1, -MAX_SAFE_INTEGER, True, None, "\U0001f600"]
    }
    assert parse_json_strict('"\\\\ud800"') == "\\ud800"  # an escaped backslash, not a surrogate
    assert parse_json_strict(bytearray(b"0")) == 0  # type: ignore[arg-type]


# ---------------------------------------------------------------- the JCS fast path vs rfc8785

_special = st.sampled_from(
    ["\u2028", "\u2029", "\x00", "\x1f", "\x7f", '"', "\\", "\ue000", "\uffff", "\U0001f600",
     "\U00010000", "\U0010ffff", "é", "\u0080", "/", "\t", "\b", "\f"]
)  # fmt: skip
_unicode = st.characters(exclude_categories=["Cs"])
_text = st.lists(st.one_of(_unicode, _special), max_size=12).map("".join)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
    st.sampled_from([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, 0, -1]),
    _text,
)
_json = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(_text, children, max_size=6)
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(value=_json)
def test_fast_canonicalization_equals_rfc8785(value: Any) -> None:
    assert canonicalize(value) == rfc8785.dumps(value)
    frozen, _ = freeze(value, max_depth=64, name="v")
    assert rfc8785.dumps(thaw(frozen)) == rfc8785.dumps(value)
    assert parse_json_strict(canonicalize(value)) == thaw(frozen)


_printable = st.text(
    st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs")),
    min_size=1,
    max_size=20,
).filter(str.isprintable)  # Python's Unicode tables may differ from Hypothesis's


@settings(max_examples=150, deadline=None)
@given(metadata=st.dictionaries(_text, _json, max_size=6), subject=_printable)
def test_record_bytes_equal_rfc8785_and_round_trip(metadata: dict[str, Any], subject: str) -> None:
    rec = record(metadata=metadata, subject=subject)
    assert rec.canonical_bytes() == rfc8785.dumps(rec.to_json())
    assert EvidenceRecord.from_canonical_bytes(rec.canonical_bytes()) == rec


def test_utf16_key_order() -> None:
    # U+E000 sorts before U+1F600 by code point, after it by UTF-16 code unit (D83D)
    value = {"\U0001f600": 1, "\ue000": 2, "a": 3, "\u00e9": 4}
    assert canonicalize(value) == rfc8785.dumps(value)
    assert list(freeze(value, max_depth=2, name="v")[0]) == ["a", "\u00e9", "\U0001f600", "\ue000"]
    assert isinstance(freeze({}, max_depth=1, name="v")[0], FrozenDict)


def test_parse_json_strict_depth_boundary() -> None:
    """64 levels pass, brackets inside strings do not count, 65 levels fail."""
    from ledger_service.core.canonical import MAX_JSON_DEPTH, parse_json_strict

    assert MAX_JSON_DEPTH == 64
    deep = parse_json_strict("[" * 64 + '"[[[[{{{{"' + "]" * 64)
    for _ in range(63):
        deep = deep[0]
    assert deep == ["[[[[{{{{"]
    with pytest.raises(LimitExceeded, match="nested at most 64 levels"):
        parse_json_strict("[" * 65 + "]" * 65)
    obj = parse_json_strict('{"k": "\\"]]]]", "a": [' + "[" * 62 + "]" * 62 + "]}")
    assert obj["k"] == '"]]]]'


# ------------------------------------------------- shortcuts of the record hot path

_ascii_key = st.text(st.characters(max_codepoint=0x7F), max_size=8)
_flat_value = st.one_of(st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER), _text)


@settings(max_examples=300, deadline=None)
@given(value=st.dictionaries(_ascii_key, _flat_value, max_size=20))
def test_flat_object_shortcut_equals_rfc8785(value: dict[str, Any]) -> None:
    """Flat objects of ASCII keys (control characters and quotes included) take a
    shortcut in freeze(); its bytes and frozen copy must equal the general walk's."""
    frozen, text = freeze(value, max_depth=1, name="v")
    assert text.encode() == rfc8785.dumps(value)
    assert isinstance(frozen, FrozenDict)
    assert list(frozen) == sorted(value)
    assert thaw(frozen) == value


def test_flat_object_shortcut_leaves_errors_to_the_walk() -> None:
    with pytest.raises(MalformedInput, match=r"^metadata\['big'\]: expected an integer within"):
        record(metadata={"a": 1, "big": MAX_SAFE_INTEGER + 1})
    with pytest.raises(MalformedInput, match=r"^metadata\['f'\]: expected no floats"):
        record(metadata={"f": 1.5})
    with pytest.raises(MalformedInput, match=r"^metadata: expected string keys, found 1"):
        record(metadata={1: "x"})
    with pytest.raises(LimitExceeded, match=r"^metadata: expected nesting depth <= 0"):
        freeze({"a": 1}, max_depth=0, name="metadata")
    assert (
        b'"metadata":{"a":null,"b":true}'
        in record(metadata={"b": True, "a": None}).canonical_bytes()
    )


def test_single_digest_shortcut_checks_as_the_general_path() -> None:
    rec = record(digests={"sm3": "0a" * 32})
    assert rec.digests == {"sm3": "0a" * 32} and isinstance(rec.digests, FrozenDict)
    with pytest.raises(MalformedInput, match=r"^digests\['sha256'\]: expected 64 lowercase hex"):
        record(digests={"sha256": "AB" * 32})
    with pytest.raises(MalformedInput, match=r"^digests: expected an algorithm among .*found 7"):
        record(digests={7: "00" * 32})


def test_time_stamps_are_remembered_only_when_valid() -> None:
    naive = datetime(2026, 11, 30, 1, 51, 22)
    for _ in range(2):  # the failure is not cached
        with pytest.raises(MalformedInput, match="expected a timezone-aware datetime"):
            EvidenceRecord.create("document", "s", "a", {"sha256": SAMPLE_DIGEST}, now=naive)
        with pytest.raises(MalformedInput, match="expected a real calendar date"):
            record(submitted_at="2026-02-30T01:51:22.123Z")
    east8 = KAT_TIME.astimezone(timezone(timedelta(hours=8)))
    a = EvidenceRecord.create("document", "s", "a", {"sha256": SAMPLE_DIGEST}, now=KAT_TIME)
    b = EvidenceRecord.create("document", "s", "a", {"sha256": SAMPLE_DIGEST}, now=east8)
    assert a.submitted_at == b.submitted_at == STAMP
