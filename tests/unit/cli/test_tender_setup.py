"""``tender announce`` / ``tender issue-documents`` input checks (no network: refused
before any request), and the time and party forms the tender commands accept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger_service.cli.app import build_app
from ledger_service.cli.tender_setup import bidder_address, parse_when
from ledger_service.core.errors import MalformedInput

cli = build_app()
NOW = 1_800_000_000
ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
PUB = "02" + "11" * 32
#: nothing listens there: a command that got as far as a request would exit 3, not 1
NO_SERVER = "http://127.0.0.1:9"


def _handover(path: Path, role: str) -> Path:
    path.write_text(json.dumps({"format": "chainwitness/key-handover", "version": 1, "role": role,
                                "name": "某公司", "address": ADDRESS, "public_key": PUB}))  # fmt: skip
    return path


@pytest.mark.parametrize(
    ("value", "expected"),
    [("+90s", NOW + 90), ("+5m", NOW + 300), ("+2h", NOW + 7200), ("+14d", NOW + 14 * 86400),
     ("+0s", NOW), ("1800000123", 1_800_000_123), ("2027-01-15T09:30:00+08:00", 1_799_976_600),
     ("2027-01-15T01:30:00Z", 1_799_976_600)],
)  # fmt: skip
def test_parse_when(value: str, expected: int) -> None:
    assert parse_when("--x", value, NOW) == expected


@pytest.mark.parametrize("value", ["+5", "5m", "+5w", "-5m", "2027-01-15T09:30:00", "tomorrow", ""])
def test_parse_when_refuses(value: str) -> None:
    with pytest.raises(MalformedInput, match=r"^--x: expected \+DURATION from now .*found"):
        parse_when("--x", value, NOW)


def test_bidder_address(tmp_path: Path) -> None:
    assert bidder_address(ADDRESS) == ADDRESS
    assert bidder_address(str(_handover(tmp_path / "b.pub.json", "bidder"))) == ADDRESS
    with pytest.raises(MalformedInput, match="expected a bidder's hand-over, found a custodian's"):
        bidder_address(str(_handover(tmp_path / "c.pub.json", "custodian")))
    with pytest.raises(MalformedInput, match="expected a bidder's 0x address or FILE.pub.json"):
        bidder_address(str(tmp_path / "missing.pub.json"))


def _announce(*extra: str, custodian: str = ADDRESS, when: str = "+5m") -> list[str]:
    return ["tender", "announce", "--code", "GC-1", "--title", "t", "--custodian", custodian,
            "--custodian", custodian, "--threshold", "2", "--dealing-deadline", when,
            "--complaint-deadline", "+6m", "--bid-deadline", "+7m", "--opening-time", "+8m",
            "--server", NO_SERVER, "--token", "x", *extra]  # fmt: skip


def test_announce_refuses_bad_input_in_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(cli, _announce(when="next week"))
    assert r.exit_code == 1
    assert r.stderr.strip().startswith("error: --dealing-deadline: expected +DURATION from now")
    assert "found 'next week'" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = runner.invoke(cli, _announce(custodian=str(_handover(tmp_path / "b.pub.json", "bidder"))))
    assert r.exit_code == 1
    assert "expected a custodian's hand-over, found a bidder's" in r.stderr
    r = runner.invoke(cli, _announce(custodian="somebody"))
    assert r.exit_code == 1 and "expected a FILE.pub.json or a 0x address, found 'somebody'" in r.stderr
    # well-formed: it gets as far as the server, which does not answer (exit 3, one line)
    r = runner.invoke(cli, _announce())
    assert r.exit_code == 3 and "to answer" in r.stderr and "Traceback" not in r.output


def test_issue_documents_needs_the_file(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["tender", "issue-documents", str(tmp_path / "nope.pdf"),
                                 "--tender", "GC-1", "--server", NO_SERVER, "--token", "x"])  # fmt: skip
    assert r.exit_code == 2 and "does not exist" in r.output
