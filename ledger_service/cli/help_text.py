"""``--help`` in words a user reads: no Python types, and every default shown.

Typer labels each option with its Python annotation (``<str>``, ``<bool>``,
``<list[Path]>``). :class:`HumanGroup`, the root command's class, relabels every
parameter of the whole command tree once when it is built: ``TEXT``, ``INTEGER``,
``NUMBER``, ``FILE``, ``DIR``, ``PATH``, choices as ``a|b``, ``…`` for a repeatable
option, nothing for a flag. An option whose default is None but that stands for a
setting (``--data-dir``, ``--host``, ``--port``) shows the setting's default.
"""

from __future__ import annotations

import re
import types
from typing import Any

from typer.core import TyperArgument, TyperGroup, TyperOption

from ledger_service.settings import Settings

_WORDS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "path": "PATH", "file": "FILE",
          "dir": "DIR", "directory": "DIR", "datetime": "DATETIME", "uuid": "UUID"}  # fmt: skip


def human_type(label: str | None) -> str | None:
    """``<list[str]>`` -> ``TEXT …``; ``<bool>`` -> None; ``<a|b>`` stays ``a|b``."""
    if not label:
        return None
    inner = label.strip("<>")
    repeat = re.fullmatch(r"list\[(.*)\]", inner)
    if repeat:
        one = human_type(f"<{repeat.group(1)}>")
        return None if one is None else f"{one} …"
    if inner == "bool":
        return None
    if "|" in inner:
        return inner
    base = inner.removesuffix(" range")
    return _WORDS.get(base.lower(), base.upper())


def _setting_default(name: str | None) -> str | None:
    field = Settings.model_fields.get(name or "")
    if field is None or field.default is None:
        return None
    env = f"CHAINWITNESS_{(name or '').upper()}"
    return f"{field.default} or {env}"


def _relabel(param: Any) -> None:
    if not isinstance(param, TyperOption | TyperArgument):
        return
    original = param.display_type_rich

    def display(self: Any, ctx: Any) -> str | None:
        if isinstance(self, TyperOption) and (self.is_bool_flag or self.name == "help"):
            return None
        return human_type(original(ctx))

    param.display_type_rich = types.MethodType(display, param)  # type: ignore[method-assign]
    if isinstance(param, TyperOption) and param.default is None and not param.required:
        shown = _setting_default(param.name)
        if shown is not None:
            param.show_default = shown


def humanize(command: Any) -> None:
    """Relabel ``command``'s parameters and those of every command below it."""
    for param in getattr(command, "params", ()):
        _relabel(param)
    make_help = getattr(command, "get_help_option", None)
    if make_help is not None:  # --help is made when asked for, not kept in params

        def get_help_option(self: Any, ctx: Any) -> Any:
            option = make_help(ctx)
            if option is not None and not getattr(option, "_human", False):
                _relabel(option)
                option._human = True
            return option

        command.get_help_option = types.MethodType(get_help_option, command)
    for sub in getattr(command, "commands", {}).values():
        humanize(sub)


class HumanGroup(TyperGroup):
    """The root group: relabels the whole tree once it is built (see module docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        humanize(self)
