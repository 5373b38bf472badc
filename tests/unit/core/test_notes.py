"""C2SP signed notes: published vectors, round trips, exact limits, malformed input."""

from __future__ import annotations

import pytest

from ledger_service.core.errors import LimitExceeded, MalformedInput, VerificationFailed
from ledger_service.core.notes import (
    MAX_NOTE_BYTES,
    MAX_SIGNATURES,
    SIG_TYPE_COSIGNATURE_V1,
    SIG_TYPE_ED25519,
    Ed25519NoteVerifier,
    Note,
    NoteSignature,
    NoteSigner,
    VerifierKey,
    open_note,
    sign_note,
)

# --- golang.org/x/mod/sumdb/note, note_test.go (TestSign, TestOpen, TestVerifierList)
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
# --- c2sp.org/signed-note, "Verifier keys / Example"
FOO_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
FOO_NOTE = (
    "This is an example message.\n\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
# --- transparency-dev/formats note/note_cosigv1_test.go (TestCoSigV1NewVerifier): a type 0x04 vkey
REMORA_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"


def peter() -> Ed25519NoteVerifier:
    return Ed25519NoteVerifier(VerifierKey.from_text(PETER_VKEY))


def test_sign_matches_the_reference_signature_byte_for_byte() -> None:
    note = sign_note(TEXT, NoteSigner.from_text(PETER_SKEY))
    assert note.to_bytes() == (TEXT + "\n" + PETER_SIG).encode()


def test_signer_text_round_trips_and_derives_the_published_vkey() -> None:
    signer = NoteSigner.from_text(PETER_SKEY)
    assert signer.to_text() == PETER_SKEY
    assert signer.verifier_key.to_text() == PETER_VKEY


def test_spec_example_note_verifies() -> None:
    note = Note.from_bytes(FOO_NOTE.encode())
    verified = open_note(note, [Ed25519NoteVerifier(VerifierKey.from_text(FOO_VKEY))])
    assert [s.name for s in verified] == ["example.com/foo"]
    assert note.to_bytes() == FOO_NOTE.encode()


@pytest.mark.parametrize("vkey", [PETER_VKEY, ENOCH_VKEY, FOO_VKEY, REMORA_VKEY])
def test_vkey_round_trips_and_its_key_id_is_derived(vkey: str) -> None:
    key = VerifierKey.from_text(vkey)
    assert key.to_text() == vkey
    assert key.sig_type in (SIG_TYPE_ED25519, SIG_TYPE_COSIGNATURE_V1)


def test_vkey_with_a_wrong_key_id_is_refused() -> None:
    with pytest.raises(MalformedInput, match="expected key ID c74f20a3, found c74f20a4"):
        VerifierKey.from_text(PETER_VKEY.replace("c74f20a3", "c74f20a4"))


@pytest.mark.parametrize(
    ("vkey", "match"),
    [
        # note_test.go: wrong-length key and unknown algorithm, each with an adjusted key hash
        ("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", "base64"),
        ("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==", "32-byte"),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "type 0x01 or 0x04"),
        ("PeterNeumann+c74f20a3", "expected '<name>"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "no spaces"),
        ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "lowercase hex"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "base64"),
    ],
)
def test_mangled_vkeys_are_refused(vkey: str, match: str) -> None:
    with pytest.raises(MalformedInput, match=match):
        VerifierKey.from_text(vkey)


def test_every_truncation_of_the_vkey_is_refused() -> None:
    # note_test.go TestNewVerifier: every proper substring fails
    for end in range(len(PETER_VKEY)):
        with pytest.raises(MalformedInput):
            VerifierKey.from_text(PETER_VKEY[:end])


def test_open_ignores_unknown_keys_and_reports_only_verified() -> None:
    note = Note.from_bytes((TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode())
    assert [s.name for s in open_note(note, [peter()])] == ["PeterNeumann"]
    enoch = Ed25519NoteVerifier(VerifierKey.from_text(ENOCH_VKEY))
    assert [s.name for s in open_note(note, [peter(), enoch])] == ["PeterNeumann", "EnochRoot"]


def test_no_known_key_is_refused() -> None:
    note = Note.from_bytes((TEXT + "\n" + ENOCH_SIG).encode())
    with pytest.raises(VerificationFailed, match=r"trusted key \(PeterNeumann\+c74f20a3\)"):
        open_note(note, [peter()])


def test_bad_signature_by_a_known_key_rejects_the_note() -> None:
    # note_test.go: "ABCD" spliced into the signature -> "invalid signature for key ..."
    bad = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(VerificationFailed, match=r"valid signature by PeterNeumann\+c74f20a3"):
        open_note(Note.from_bytes((TEXT + "\n" + bad).encode()), [peter()])
    raw = Note.from_bytes((TEXT + "\n" + PETER_SIG).encode()).signatures[0]
    flipped = NoteSignature(raw.name, raw.key_id, bytes([raw.signature[0] ^ 1]) + raw.signature[1:])
    with pytest.raises(VerificationFailed, match=r"valid signature by PeterNeumann\+c74f20a3"):
        open_note(Note(TEXT, (flipped,)), [peter()])


def test_same_name_other_key_id_is_ignored_not_trusted() -> None:
    raw = Note.from_bytes((TEXT + "\n" + PETER_SIG).encode()).signatures[0]
    other = NoteSignature(raw.name, raw.key_id ^ 1, raw.signature)
    with pytest.raises(VerificationFailed, match="found only PeterNeumann"):
        open_note(Note(TEXT, (other,)), [peter()])


def test_duplicate_verifiers_are_ambiguous() -> None:
    note = Note.from_bytes((TEXT + "\n" + PETER_SIG).encode())
    with pytest.raises(MalformedInput, match="twice"):
        open_note(note, [peter(), peter()])


def test_duplicate_lines_count_once() -> None:
    note = Note.from_bytes((TEXT + "\n" + PETER_SIG + PETER_SIG).encode())
    assert len(open_note(note, [peter()])) == 1


@pytest.mark.parametrize(
    ("data", "match"),
    [
        # the malformed messages of note_test.go TestOpen
        (TEXT, "blank line"),
        (TEXT + "\n", "end in a newline"),
        (TEXT + "\n" + PETER_SIG[:-1], "end in a newline"),
        ("\x01" + TEXT + "\n" + PETER_SIG, "control"),
        (TEXT + "\n" + PETER_SIG + "Unexpected line.\n", "em dash"),
        (
            TEXT
            + "\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
            "base64",
        ),
        (TEXT + "\n— PeterNeumann AAAA\n", "4-byte key ID"),
    ],
)
def test_malformed_notes_are_refused(data: str, match: str) -> None:
    with pytest.raises(MalformedInput, match=match):
        Note.from_bytes(data.encode())


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(MalformedInput, match="UTF-8"):
        Note.from_bytes(b"\xff" + (TEXT + "\n" + PETER_SIG).encode())


def test_signature_count_limit_is_exact() -> None:
    assert (
        len(Note.from_bytes((TEXT + "\n" + PETER_SIG * MAX_SIGNATURES).encode()).signatures) == 100
    )
    with pytest.raises(LimitExceeded, match=f"at most {MAX_SIGNATURES} signatures, found 101"):
        Note.from_bytes((TEXT + "\n" + PETER_SIG * (MAX_SIGNATURES + 1)).encode())


def test_note_size_limit_is_exact() -> None:
    tail = "\n" + PETER_SIG
    filler = "x" * (MAX_NOTE_BYTES - len(tail.encode()) - 1) + "\n"
    exact = (filler + tail).encode()
    assert len(exact) == MAX_NOTE_BYTES
    Note.from_bytes(exact)
    with pytest.raises(
        LimitExceeded, match=f"at most {MAX_NOTE_BYTES} bytes, found {MAX_NOTE_BYTES + 1}"
    ):
        Note.from_bytes(b"x" + exact)


def test_sign_replaces_its_own_old_line_and_keeps_others() -> None:
    signer = NoteSigner.from_text(PETER_SKEY)
    enoch_line = Note.from_bytes((TEXT + "\n" + ENOCH_SIG).encode()).signatures[0]
    stale = NoteSignature("PeterNeumann", 0xC74F20A3, b"stale")
    note = sign_note(TEXT, signer, [stale, enoch_line])
    assert note.to_bytes() == (TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode()


@pytest.mark.parametrize("text", ["abc", "", "a\x00b\n"])
def test_sign_refuses_bad_text(text: str) -> None:
    with pytest.raises(MalformedInput, match="note text"):
        sign_note(text, NoteSigner.from_text(PETER_SKEY))


def test_text_with_blank_lines_round_trips() -> None:
    text = "a\n\nb\n\n"
    note = sign_note(text, NoteSigner.from_text(PETER_SKEY))
    again = Note.from_bytes(note.to_bytes())
    assert again == note
    open_note(again, [peter()])


def test_signer_key_text_errors_do_not_echo_the_secret() -> None:
    with pytest.raises(MalformedInput) as info:
        NoteSigner.from_text(PETER_SKEY.replace("c74f20a3", "00000000"))
    assert "AYEKFALVFGyNhPJEMzD1" not in str(info.value)
