"""`--help` of every command shows no Python type and shows the settings' defaults."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer.main
from typer.testing import CliRunner

from ledger_service.cli.app import build_app
from ledger_service.cli.help_text import human_type

APP = build_app()
PYTHON_TYPE = re.compile(r"<(str|int|float|bool|path|file|dir|directory|list\[[^>]*\])>")


def _paths(cmd: object, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _paths(sub, (*prefix, name))


@pytest.mark.parametrize(
    ("label", "shown"),
    [("<str>", "TEXT"), ("<int>", "INTEGER"), ("<float>", "NUMBER"), ("<bool>", None),
     ("<file>", "FILE"), ("<path>", "PATH"), ("<list[str]>", "TEXT …"),
     ("<list[path]>", "PATH …"), ("<int range>", "INTEGER"), ("<bidder|operator>", "bidder|operator"),
     (None, None)],
)  # fmt: skip
def test_human_type(label: str | None, shown: str | None) -> None:
    assert human_type(label) == shown


def test_no_command_shows_a_python_type() -> None:
    runner = CliRunner()
    paths = list(_paths(typer.main.get_command(APP)))
    assert len(paths) > 40
    for path in paths:
        r = runner.invoke(APP, [*path, "--help"], env={"COLUMNS": "200"})
        assert r.exit_code == 0, (path, r.output)
        found = PYTHON_TYPE.search(r.output)
        assert found is None, f"{' '.join(path)} --help shows {found.group(0)}"


def test_defaults_of_the_settings_are_shown() -> None:
    r = CliRunner().invoke(APP, ["serve", "--help"], env={"COLUMNS": "200"})
    assert "[default: (127.0.0.1 or CHAINWITNESS_HOST)]" in r.output
    assert "[default: (8700 or CHAINWITNESS_PORT)]" in r.output
    assert "[default: (var/chainwitness or CHAINWITNESS_DATA_DIR)]" in r.output
