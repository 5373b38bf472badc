"""Client side of tlog-witness: ask each witness to cosign, keep what verifies.

:func:`collect_cosignatures` is pure: it is handed a ``post`` function (URL,
body -> status, content type, body) and a ``proof`` function (old size, new
size -> consistency proof). :func:`httpx_post` is the adapter for real HTTP.
Each answer is verified against that witness's pinned key before it is kept;
a witness that answers 409 with its known size is asked once more from there.
Whether the result is witnessed at k of n is then :func:`verify_witnessed`'s call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import httpx

from ledger_service.core.checkpoints import Cosignature, SignedCheckpoint, cosignatures_in
from ledger_service.core.errors import EvidenceError
from ledger_service.core.gm_notes import Sm2VerifierKey
from ledger_service.core.notes import Note, NoteSignature, VerifierKey
from ledger_service.core.witness_protocol import SIZE_CONTENT_TYPE, AddCheckpoint

__all__ = [
    "Post",
    "ProofSource",
    "WitnessAnswer",
    "WitnessEndpoint",
    "WitnessUnreachable",
    "collect_cosignatures",
    "httpx_post",
]

#: ``post(url, body) -> (status, content type, body)``; raises WitnessUnreachable
Post = Callable[[str, bytes], tuple[int, str, bytes]]
#: ``proof(old_size, new_size)``: the RFC 9162 consistency proof between two sizes
ProofSource = Callable[[int, int], Sequence[bytes]]


class WitnessUnreachable(EvidenceError):
    """A witness did not answer (connection refused, timeout)."""

    code = "witness-unreachable"
    status = 503
    title = "Witness unreachable"


@dataclass(frozen=True, slots=True)
class WitnessEndpoint:
    """A witness's submission prefix (``<url>/add-checkpoint``) and its pinned key."""

    url: str
    key: VerifierKey
    #: GM profile: the witness's pinned SM2 cosignature key (its SM2 line is kept too)
    sm2_key: Sm2VerifierKey | None = None


@dataclass(frozen=True, slots=True)
class WitnessAnswer:
    """What one witness gave: a verified cosignature, or why there is none."""

    witness: WitnessEndpoint
    cosignature: Cosignature | None
    error: str | None
    #: the witness's last cosigned size, as it answered in a 409 (else None)
    known_size: int | None = None
    #: GM profile: its SM2 cosignature line, verified against ``witness.sm2_key``
    sm2_line: NoteSignature | None = None


def _request(signed: SignedCheckpoint, old: int, proof: ProofSource) -> bytes:
    size = signed.checkpoint.size
    path = () if old in (0, size) else tuple(proof(old, size))
    return AddCheckpoint(old, path, signed).to_bytes()


def _ask(
    signed: SignedCheckpoint, witness: WitnessEndpoint, old: int, proof: ProofSource, post: Post
) -> WitnessAnswer:
    url = witness.url.rstrip("/") + "/add-checkpoint"
    size = signed.checkpoint.size
    known: int | None = None
    for _attempt in range(2):
        try:
            status, content_type, body = post(url, _request(signed, old, proof))
        except EvidenceError as exc:
            return WitnessAnswer(witness, None, str(exc))
        if status == 409 and content_type.split(";")[0].strip() == SIZE_CONTENT_TYPE:
            text = body.decode("ascii", "replace")
            if not text.endswith("\n") or not text[:-1].isdigit():
                return WitnessAnswer(witness, None, f"409 with a malformed size {text!r:.40}")
            known = int(text[:-1])
            if known > size or known == old:
                return WitnessAnswer(
                    witness, None, f"witness has cosigned size {known}, checkpoint is {size}", known
                )
            old = known
            continue
        if status != 200:
            reason = body.decode("utf-8", "replace").strip()[:300]
            return WitnessAnswer(witness, None, f"refused with {status}: {reason}", known)
        return _verified(signed, witness, body, known)
    return WitnessAnswer(witness, None, "witness size changed twice while asking", known)


def _verified(
    signed: SignedCheckpoint, witness: WitnessEndpoint, body: bytes, known: int | None
) -> WitnessAnswer:
    try:
        text = body.decode("utf-8")
        if not text.endswith("\n"):
            raise ValueError("expected signature lines ending in a newline")
        lines = [NoteSignature.from_line(line) for line in text[:-1].split("\n")]
        cosigs = [
            Cosignature.from_note_signature(s)
            for s in lines
            if (s.name, s.key_id) == (witness.key.name, witness.key.key_id)
        ]
        verified = cosignatures_in(signed.with_cosignatures(cosigs), [witness.key])
    except (EvidenceError, ValueError) as exc:
        return WitnessAnswer(witness, None, f"answer did not verify: {exc}", known)
    if not verified:
        return WitnessAnswer(
            witness, None, f"answer holds no cosignature by {witness.key.ref}", known
        )
    best = max(verified, key=lambda c: c.timestamp)
    sm2 = witness.sm2_key
    if sm2 is None:
        return WitnessAnswer(witness, best, None, known)
    note_text = signed.note.text.encode()
    ours = [s for s in lines if (s.name, s.key_id) == (sm2.name, sm2.key_id)
            and sm2.verify_cosignature(note_text, s.signature)]  # fmt: skip
    if not ours:
        return WitnessAnswer(witness, best, f"answer holds no valid SM2 cosignature by {sm2.ref}",
                             known)  # fmt: skip
    return WitnessAnswer(witness, best, None, known, ours[0])


def collect_cosignatures(
    signed: SignedCheckpoint,
    witnesses: Sequence[WitnessEndpoint],
    proof: ProofSource,
    post: Post,
    last_sizes: Mapping[str, int] | None = None,
) -> tuple[SignedCheckpoint, tuple[WitnessAnswer, ...]]:
    """Post ``signed`` to every witness; return it with the verified cosignatures added.

    ``last_sizes`` maps a witness URL to the size we believe it last cosigned
    (0 when unknown: the witness then answers 409 with its size and is asked again).
    Answers come back in witness order; a witness's failure never stops the others.
    """
    answers = tuple(
        _ask(signed, w, (last_sizes or {}).get(w.url, 0), proof, post) for w in witnesses
    )
    gathered = [a.cosignature for a in answers if a.cosignature is not None]
    out = signed.with_cosignatures(gathered)
    sm2_lines = [a.sm2_line for a in answers if a.sm2_line is not None]
    if sm2_lines:
        kept = [s for s in sm2_lines if s not in out.note.signatures]
        out = SignedCheckpoint(Note(out.note.text, (*out.note.signatures, *kept)))
    return out, answers


def httpx_post(client: httpx.Client) -> Post:
    """A :data:`Post` over ``client``; connection failures become WitnessUnreachable."""

    def post(url: str, body: bytes) -> tuple[int, str, bytes]:
        try:
            response = client.post(url, content=body, headers={"Content-Type": "text/plain"})
        except httpx.HTTPError as exc:
            raise WitnessUnreachable(f"witness {url}: expected an answer, found {exc!r}") from None
        return response.status_code, response.headers.get("content-type", ""), response.content

    return post
