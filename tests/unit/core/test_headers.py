"""Block hashing by consensus against Besu's published vectors (tests/vectors/besu-bft).

A QBFT and an IBFT 2.0 header hash to the hash their Besu node reported (commit seals
left out), their commit seals recover to their validators, and every named mutation of
a hashed field, of the scheme, or of the seals' signed content is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rlp

from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.headers import (
    CONSENSUS_SCHEMES,
    BftExtraData,
    bft_quorum,
    check_commit_seals,
    commit_seal_hash,
    commit_signers,
    header_hash,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "besu-bft"
BLOCKS = ("qbft-block-58866.json", "ibft2-block-100.json")


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text())
    return data


def _extra(header: dict[str, Any], consensus: str) -> BftExtraData:
    return BftExtraData.decode(consensus, bytes.fromhex(header["extraData"][2:]))


def _with_extra(header: dict[str, Any], items: list[Any]) -> dict[str, Any]:
    return {**header, "extraData": "0x" + rlp.encode(items).hex()}


@pytest.mark.parametrize("name", BLOCKS)
def test_besu_block_hashes_to_its_reported_hash(name: str) -> None:
    v = _load(name)
    h, consensus = v["header"], v["consensus"]
    assert header_hash(h, consensus) == h["hash"]
    # the plain Ethereum rule hashes the seals too, and misses: what this module is for
    assert header_hash(h, "ethereum") != h["hash"]
    extra = _extra(h, consensus)
    assert ["0x" + a.hex() for a in extra.validators] == v["validators"]
    assert extra.round == v["round"]
    assert commit_signers(h, consensus) == v["commit_signers"]


@pytest.mark.parametrize("name", BLOCKS)
def test_a_tampered_header_does_not_hash_to_it(name: str) -> None:
    v = _load(name)
    h, consensus = v["header"], v["consensus"]
    for field, value in [("receiptsRoot", "0x" + "11" * 32), ("timestamp", "0x1"),
                         ("gasUsed", "0x1"), ("miner", "0x" + "22" * 20)]:  # fmt: skip
        assert header_hash({**h, field: value}, consensus) != h["hash"], field
    other = "ibft2" if consensus == "qbft" else "qbft"
    with pytest.raises(MalformedInput, match=f"header.extraData \\({other}\\)"):
        header_hash(h, other)
    # another validator set changes the hash; a forged seal recovers someone else
    e = _extra(h, consensus)
    items = rlp.decode(bytes.fromhex(h["extraData"][2:]))
    assert (
        header_hash(_with_extra(h, [items[0], [b"\x33" * 20], *items[2:]]), consensus) != h["hash"]
    )
    forged = bytearray(e.seals[0])
    forged[5] ^= 1
    swapped = _with_extra(h, [*items[:4], [bytes(forged)]])
    assert header_hash(swapped, consensus) == h["hash"]  # seals are not hashed ...
    try:  # ... but they sign it: a changed seal recovers another key, or none
        signers: list[str] | None = commit_signers(swapped, consensus)
    except MalformedInput:
        signers = None
    assert signers != v["commit_signers"]


def test_commit_seals_and_round_are_outside_the_block_hash() -> None:
    v = _load("qbft-block-58866.json")
    h = v["header"]
    items = rlp.decode(bytes.fromhex(h["extraData"][2:]))
    no_seals = _with_extra(h, [*items[:4], []])
    assert header_hash(no_seals, "qbft") == h["hash"]
    # QBFT: round is set to 0 for the block hash but signed by the commit seals
    round_7 = _with_extra(h, [*items[:3], b"\x07", items[4]])
    assert header_hash(round_7, "qbft") == h["hash"]
    assert commit_seal_hash(round_7, "qbft") != commit_seal_hash(h, "qbft")
    assert commit_seal_hash(h, "qbft").hex() == h["hash"][2:]  # round 0: the same hash


def test_ibft2_hash_drops_round_and_seals() -> None:
    h = _load("ibft2-block-100.json")["header"]
    items = rlp.decode(bytes.fromhex(h["extraData"][2:]))
    assert header_hash(_with_extra(h, [*items[:3], b"\x00\x00\x00\x05", []]), "ibft2") == h["hash"]
    with pytest.raises(MalformedInput, match="expected a 4-byte round, found 1 bytes"):
        header_hash(_with_extra(h, [*items[:3], b"\x05", items[4]]), "ibft2")


def test_besu_codec_vector_decodes_and_reencodes() -> None:
    c = _load("qbft-extradata-codec.json")
    raw = bytes.fromhex(c["extraData"][2:])
    e = BftExtraData.decode("qbft", raw)
    assert "0x" + e.vanity.hex() == c["vanity"]
    assert ["0x" + a.hex() for a in e.validators] == c["validators"]
    assert e.vote == [bytes.fromhex(c["vote"]["recipient"][2:]), b"\xff"] and c["vote"]["add"]
    assert e.round == c["round"]
    assert ["0x" + s.hex() for s in e.seals] == c["seals"]
    assert e.encode(seals=True, round_number=True) == raw
    assert e.encode(seals=False, round_number=False) == rlp.encode(
        [e.vanity, list(e.validators), e.vote, b"", []]
    )


def test_genesis_keeps_its_extra_data() -> None:
    h = {**_load("qbft-block-58866.json")["header"], "number": "0x0", "extraData": "0x1234"}
    assert header_hash(h, "qbft") == header_hash(h, "ethereum")


def test_malformed_extra_data_is_refused_by_name() -> None:
    h = _load("qbft-block-58866.json")["header"]
    items = rlp.decode(bytes.fromhex(h["extraData"][2:]))
    cases = [
        ([*items, b""], "expected an RLP list of 5 items, found 6"),
        ([b"\x00" * 31, *items[1:]], "expected 32 bytes of vanity, found 31 bytes"),
        ([items[0], [b"\x01" * 19], *items[2:]], "expected a list of 20-byte validator"),
        ([*items[:2], [b"\x01" * 20, b"\x01"], *items[3:]], "expected no vote \\(an empty list\\)"),
        ([*items[:3], [], items[4]], "expected the round as bytes"),
        ([*items[:4], [b"\x01" * 64]], "expected a list of 65-byte commit seals"),
    ]
    for extra, pattern in cases:
        with pytest.raises(MalformedInput, match=pattern):
            header_hash(_with_extra(h, extra), "qbft")
    with pytest.raises(MalformedInput, match="expected canonical RLP"):
        header_hash({**h, "extraData": "0x8100"}, "qbft")
    with pytest.raises(MalformedInput, match="expected the round as an integer scalar"):
        header_hash(_with_extra(h, [*items[:3], b"\x00\x07", items[4]]), "qbft")
    with pytest.raises(MalformedInput, match=r"consensus: expected one of \['ethereum'"):
        header_hash(h, "clique")
    with pytest.raises(MalformedInput, match="expected qbft or ibft2 for commit seals"):
        commit_seal_hash(h, "ethereum")
    assert CONSENSUS_SCHEMES == ("ethereum", "qbft", "ibft2")


def test_bft_quorum_is_two_thirds_rounded_up() -> None:
    assert [bft_quorum(n) for n in (1, 2, 3, 4, 5, 6, 7, 10)] == [1, 2, 2, 3, 4, 4, 5, 7]


@pytest.mark.parametrize("name", BLOCKS)
def test_commit_seals_of_the_pinned_validators_are_counted(name: str) -> None:
    v = _load(name)
    h, consensus = v["header"], v["consensus"]
    validator = v["validators"][0]
    assert check_commit_seals(h, consensus, [validator.upper().replace("0X", "0x")], "b") == 1
    others = ["0x" + f"{i:02x}" * 20 for i in range(1, 4)]
    # one seal of four pinned validators is short of ceil(8/3) = 3
    with pytest.raises(VerificationFailed, match="b: expected commit seals of at least 3 of the "
                       f"4 pinned validators, found 1 \\(seals by \\['{validator}'\\]\\)"):  # fmt: skip
        check_commit_seals(h, consensus, [validator, *others], "b")
    with pytest.raises(VerificationFailed, match="at least 1 of the 1 pinned validators, found 0"):
        check_commit_seals(h, consensus, others[:1], "b")
    items = rlp.decode(bytes.fromhex(h["extraData"][2:]))
    unsealed = _with_extra(h, [*items[:4], []])
    with pytest.raises(VerificationFailed, match=r"found 0 \(seals by no one\)"):
        check_commit_seals(unsealed, consensus, [validator], "b")
    # a seal repeated does not count twice
    twice = _with_extra(h, [*items[:4], [items[4][0], items[4][0]]])
    with pytest.raises(VerificationFailed, match="at least 2 of the 2 pinned validators, found 1"):
        check_commit_seals(twice, consensus, [validator, others[0]], "b")
