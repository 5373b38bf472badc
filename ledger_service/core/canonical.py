"""Canonical JSON (RFC 8785, JCS) for the I-JSON values we accept, and a strict parser.

Our values are I-JSON (RFC 7493) without fractions: null, booleans, strings of
Unicode scalar values, integers within +-(2**53 - 1), arrays and objects with
string keys. For that domain JCS is simple: objects with keys in UTF-16 code-unit
order, no whitespace, integers as plain decimals, strings as UTF-8 with exactly
``"``, ``\\`` and the C0 controls escaped (``\\b \\t \\n \\f \\r`` by name, the
others as lowercase ``\\u00xx``) -- which is what the standard library's
``ensure_ascii=False`` string escaper writes. :func:`freeze` validates, copies and
writes that text in one walk. The tests hold it byte-equal to the ``rfc8785``
reference on generated inputs; the reference itself is a pure-Python walk too
slow for the record path (see ``records``).

Floats are refused rather than canonicalized: a hash must not depend on how some
client rounded ``0.1``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring
from typing import Any, NoReturn, TypeAlias

from ledger_service.core.errors import LimitExceeded, MalformedInput

__all__ = [
    "JSON",
    "MAX_SAFE_INTEGER",
    "FrozenDict",
    "canonicalize",
    "freeze",
    "jcs_string",
    "parse_json_strict",
    "thaw",
    "to_utf8",
]

#: the JSON values we accept (arrays come back from :func:`freeze` as tuples)
JSON: TypeAlias = "None | bool | int | str | list[JSON] | tuple[JSON, ...] | Mapping[str, JSON]"

#: I-JSON's exact-integer range, the range of an IEEE 754 double
MAX_SAFE_INTEGER = 2**53 - 1

# Longest decimal text an integer in range can have ("-9007199254740991"); bounds the
# work int() does on hostile digit strings before we range-check.
_MAX_INT_TEXT = len(str(-MAX_SAFE_INTEGER))

# The standard library's string escaper for ensure_ascii=False (C when available):
# escapes exactly '"', '\\' and U+0000..U+001F, as JCS does; the tests hold it to rfc8785.
_string = encode_basestring
# A JSON escape that may decode to a lone surrogate; only then do we walk the result.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
#: Deepest nesting ``parse_json_strict`` accepts (records allow 8 inside a batch).
MAX_JSON_DEPTH = 64
#: A JSON string literal, written so the regex engine never backtracks.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


class FrozenDict(dict[str, Any]):
    """A dict that refuses mutation, for values whose canonical bytes are cached.

    A ``dict`` subclass (not a mapping proxy) so ``json.dumps`` and ``isinstance(x,
    dict)`` keep working for callers.
    """

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("FrozenDict is immutable")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse
    __ior__ = _refuse

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[str, Any]]]:
        # copy/pickle would otherwise rebuild through the refused __setitem__
        return (FrozenDict, (dict(self),))


class _Invalid(Exception):
    """Internal: a bad value; ``path`` is filled in while unwinding, innermost first."""

    def __init__(self, error: type[MalformedInput], message: str) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
        self.path: list[str | int] = []


def _utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _deep(max_depth: int) -> _Invalid:
    return _Invalid(LimitExceeded, f"expected nesting depth <= {max_depth}, found deeper")


def _scalar(value: Any, t: type, out: list[str]) -> None:
    """Append a non-container's JCS text; the common str/int cases are inlined by callers."""
    if t is str:
        out.append(_string(value))
    elif t is int:
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise _Invalid(
                MalformedInput, f"expected an integer within +-(2**53 - 1), found {value}"
            )
        out.append(str(value))
    elif t is bool:
        out.append("true" if value else "false")
    elif value is None:
        out.append("null")
    elif t is float:
        raise _Invalid(MalformedInput, f"expected no floats (integers only), found {value!r}")
    else:
        raise _Invalid(MalformedInput, f"expected a JSON value, found {t.__name__}")


def _walk(value: Any, depth: int, max_depth: int, out: list[str]) -> Any:
    """Validate ``value``, append its JCS text to ``out``, return a frozen copy.

    One pass does all three because this is the hot path of every record; strings
    and integers inside containers are handled inline to save a call per value.
    """
    t = type(value)
    if t is dict or t is FrozenDict or (t is not str and isinstance(value, Mapping)):
        if depth >= max_depth:
            raise _deep(max_depth)
        keys = list(value)
        if not keys:
            out.append("{}")
            return FrozenDict()
        try:
            # Code-point order equals UTF-16 order for ASCII keys, the common case;
            # join() and sort() also refuse most non-string keys on the way.
            keys.sort(key=None if "".join(keys).isascii() else _utf16_order)
        except TypeError:
            keys = list(value)  # unsorted: report the first bad key in given order
        items = []
        sep = "{"
        for k in keys:
            if type(k) is not str:
                raise _Invalid(MalformedInput, f"expected string keys, found {k!r}")
            v = value[k]
            tv = type(v)
            if tv is str:
                out.append(f"{sep}{_string(k)}:{_string(v)}")
            elif tv is int and -MAX_SAFE_INTEGER <= v <= MAX_SAFE_INTEGER:
                out.append(f"{sep}{_string(k)}:{v}")
            else:
                out.append(f"{sep}{_string(k)}:")
                try:
                    v = _walk(v, depth + 1, max_depth, out)
                except _Invalid as e:
                    e.path.append(k)
                    raise
            items.append((k, v))
            sep = ","
        out.append("}")
        return FrozenDict(items)
    if t is list or t is tuple:
        if depth >= max_depth:
            raise _deep(max_depth)
        if not value:
            out.append("[]")
            return ()
        frozen = []
        sep = "["
        for i, v in enumerate(value):
            tv = type(v)
            if tv is str:
                out.append(sep + _string(v))
            elif tv is int and -MAX_SAFE_INTEGER <= v <= MAX_SAFE_INTEGER:
                out.append(f"{sep}{v}")
            else:
                out.append(sep)
                try:
                    v = _walk(v, depth + 1, max_depth, out)
                except _Invalid as e:
                    e.path.append(i)
                    raise
            frozen.append(v)
            sep = ","
        out.append("]")
        return tuple(frozen)
    _scalar(value, t, out)
    return value


def _where(name: str, path: list[str | int]) -> str:
    """``name['a'][0]`` for a path given outermost first (long paths elided)."""
    if len(path) > 12:
        return f"{_where(name, path[:5])}...({len(path) - 10} more){_where('', path[-5:])}"
    return name + "".join(f"[{p!r}]" for p in path)


#: Most entries a flat object may have for :func:`_flat_object`'s shortcut.
_FLAT_MAX_KEYS = 16


def _flat_object(value: dict[Any, Any]) -> tuple[FrozenDict, str] | None:
    """The frozen copy and JCS text of a small object of ASCII keys and str/int values.

    The usual record metadata (``{"seq": 5}``, ``{"name": ..., "size": ...}``); None
    for anything else, which :func:`_walk` then handles (and reports, if invalid).
    ASCII keys sort in code-point order, which is JCS's UTF-16 order for them.
    """
    if len(value) > _FLAT_MAX_KEYS:
        return None
    for k in value:
        if type(k) is not str or not k.isascii():
            return None
    keys = sorted(value)
    parts = []
    for k in keys:
        v = value[k]
        tv = type(v)
        if tv is str:
            parts.append(f"{_string(k)}:{_string(v)}")
        elif tv is int and -MAX_SAFE_INTEGER <= v <= MAX_SAFE_INTEGER:
            parts.append(f"{_string(k)}:{v}")
        else:
            return None
    return FrozenDict([(k, value[k]) for k in keys]), "{" + ",".join(parts) + "}"


def freeze(value: object, *, max_depth: int, name: str) -> tuple[Any, str]:
    """Validate a JSON value; return an immutable copy and its RFC 8785 text.

    The copy has objects as :class:`FrozenDict` in JCS key order and arrays as
    tuples. The text is JCS before UTF-8 encoding (see :func:`to_utf8`). Depth
    counts containers: ``{}`` and ``[]`` are depth 1, ``{"a": {}}`` depth 2.

    Raises:
        LimitExceeded: containers nest deeper than ``max_depth``.
        MalformedInput: a float, an integer outside +-(2**53 - 1), a non-string
            key, or a value of a non-JSON type; the message names ``name`` and the
            path to the value.
    """
    if type(value) is dict and max_depth >= 1:
        flat = _flat_object(value)
        if flat is not None:
            return flat
    out: list[str] = []
    try:
        frozen = _walk(value, 0, max_depth, out)
    except _Invalid as e:
        raise e.error(f"{_where(name, e.path[::-1])}: {e.message}") from None
    return frozen, "".join(out)


def _find_surrogate(value: Any) -> list[str | int] | None:
    """Path (outermost first) to a string or key holding a lone surrogate, if any.

    Only runs on the error path. Iterative, because parsed input may nest as deep
    as the parser allows.
    """

    def bad(text: str) -> bool:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False

    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if bad(node):
                return path
        elif isinstance(node, dict):
            for k, v in reversed(node.items()):
                if bad(k):
                    return [*path, k]
                stack.append((v, [*path, k]))
        elif isinstance(node, list | tuple):
            stack.extend((v, [*path, i]) for i, v in reversed(list(enumerate(node))))
    return None


def to_utf8(text: str, frozen: Any, *, name: str) -> bytes:
    """Encode JCS text as UTF-8, refusing lone surrogates (JCS needs Unicode scalars).

    ``frozen`` is the value the text came from, searched only to name the bad
    string in the error.

    Raises:
        MalformedInput: a string or key holds a lone surrogate.
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        path = _find_surrogate(frozen) or []
        raise MalformedInput(
            f"{_where(name, path)}: expected Unicode text, found a lone surrogate"
        ) from None


def canonicalize(value: object, *, max_depth: int = 64, name: str = "value") -> bytes:
    """Return the RFC 8785 (JCS) bytes of a JSON value.

    Raises:
        LimitExceeded, MalformedInput: as :func:`freeze` and :func:`to_utf8`.
    """
    frozen, text = freeze(value, max_depth=max_depth, name=name)
    return to_utf8(text, frozen, name=name)


#: ``jcs_string(s)`` returns the JCS text of one string, quoted and escaped, not yet
#: UTF-8 (the escaper itself, not a wrapper: it runs twice per record).
jcs_string: Callable[[str], str] = _string


def thaw(value: Any) -> Any:
    """Return a plain, mutable copy (dicts and lists) of a frozen JSON value."""
    if isinstance(value, dict):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


# ---------------------------------------------------------------- strict parsing


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise MalformedInput(f"expected unique object keys, found {key!r} twice")
            seen.add(key)
    return obj


def _no_float(text: str) -> NoReturn:
    raise MalformedInput(f"expected integers only, found the number {text}")


def _no_constant(text: str) -> NoReturn:
    raise MalformedInput(f"expected standard JSON, found {text}")


def _safe_int(text: str) -> int:
    if len(text) <= _MAX_INT_TEXT:
        value = int(text)
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
    shown = text if len(text) <= 40 else f"{text[:20]}...({len(text)} digits)"
    raise MalformedInput(f"expected an integer within +-(2**53 - 1), found {shown}")


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH before the recursive parser sees it.

    The C parser recurses once per level; with a raised recursion limit a deep
    enough document overflows the stack and kills the process. Strings are cut
    out, the brackets kept, and innermost pairs removed once per allowed level,
    all at C speed.
    """
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return
    brackets = _NOT_BRACKETS.sub("", _JSON_STRING.sub("", text))
    for _ in range(MAX_JSON_DEPTH):
        if not brackets:
            return
        brackets = brackets.replace("[]", "").replace("{}", "")
    if brackets:
        raise LimitExceeded(
            f"expected JSON nested at most {MAX_JSON_DEPTH} levels, found deeper "
            "(or unbalanced) nesting"
        )


def parse_json_strict(text: bytes | str) -> Any:
    """Parse one I-JSON value strictly, as for raw request bodies and record bytes.

    Accepts exactly one JSON value (surrounding whitespace allowed), UTF-8 when
    given bytes. Rejects: invalid UTF-8, a byte order mark, duplicate object keys,
    fractions and exponents (floats), ``NaN``/``Infinity``, integers outside
    +-(2**53 - 1), escapes that decode to lone surrogates, trailing data.

    Raises:
        MalformedInput: the text is not such a value (the message says where).
        LimitExceeded: nesting deeper than MAX_JSON_DEPTH.
    """
    if isinstance(text, bytes | bytearray | memoryview):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as e:
            raise MalformedInput(
                f"expected UTF-8 text, found an invalid byte at offset {e.start}"
            ) from None
    if not isinstance(text, str):
        raise MalformedInput(f"expected JSON text, found {type(text).__name__}")
    if text.startswith("\ufeff"):
        raise MalformedInput("expected JSON text, found a byte order mark (U+FEFF) first")
    _check_depth(text)
    try:
        value = json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_float=_no_float,
            parse_int=_safe_int,
            parse_constant=_no_constant,
        )
    except json.JSONDecodeError as e:
        raise MalformedInput(
            f"expected a single JSON value, found {e.msg.lower()} at line {e.lineno} "
            f"column {e.colno}"
        ) from None
    except RecursionError:  # a safety net: _check_depth stops deep input first
        raise LimitExceeded(
            f"expected JSON nested at most {MAX_JSON_DEPTH} levels, found too many levels"
        ) from None
    if _SURROGATE_ESCAPE.search(text):
        path = _find_surrogate(value)
        if path is not None:
            raise MalformedInput(
                f"{_where('json', path)}: expected Unicode text, found a lone surrogate"
            )
    return value
