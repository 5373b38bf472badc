/**
 * C2SP signed notes, checkpoints and cosignatures, verified in the browser.
 *
 * Specification: docs/checkpoints.md (c2sp.org signed-note, tlog-checkpoint,
 * tlog-cosignature, Ed25519 cosignature/v1 only); Python reference:
 * ledger_service/core/notes.py and checkpoints.py. Same rules and messages: a
 * line by a pinned key that fails rejects the note; lines by other keys are
 * ignored; a witness counts once, with its earliest cosignature; cosignatures
 * dated more than MAX_FUTURE_S after the verifier's clock do not count.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { concat, fromBase64, fromUtf8, shown, toHex, utf8 } from "./bytes.js";
import { isValidEd25519 } from "./ed25519.js";
import { LimitExceeded, MalformedInput, VerificationFailed } from "./errors.js";

export const SIG_TYPE_ED25519 = 0x01;
export const SIG_TYPE_COSIGNATURE_V1 = 0x04;
export const MAX_NOTE_BYTES = 64 * 1024;
export const MAX_SIGNATURES = 100;
export const MAX_FUTURE_S = 300;
const DASH = "\u2014 ";
const COSIG_HEADER = "cosignature/v1\n";

function checkKeyName(name) {
  if (typeof name !== "string" || !name || /[\s+]/u.test(name) || /[\u0000-\u001f]/.test(name)) {
    throw new MalformedInput(`key name: expected no space, '+' or control character, found ${shown(name)}`);
  }
  return name;
}

/** SHA-256(name || 0x0A || type || key)[:4] as an unsigned 32-bit number. */
export function keyId(name, sigType, publicKey) {
  const d = sha256(concat(utf8(name), new Uint8Array([0x0a, sigType]), publicKey));
  return ((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0;
}

const hex8 = (n) => n.toString(16).padStart(8, "0");

/** Parse a vkey `<name>+<hex key ID>+base64(type || key)`; checks the key ID. */
export function parseVerifierKey(text) {
  if (typeof text !== "string") throw new MalformedInput(`verifier key: expected a string, found ${shown(text)}`);
  const first = text.indexOf("+");
  const second = first < 0 ? -1 : text.indexOf("+", first + 1);
  if (second < 0) throw new MalformedInput(`verifier key: expected '<name>+<hex key ID>+<base64 key>', found ${shown(text)}`);
  const name = checkKeyName(text.slice(0, first));
  const hexId = text.slice(first + 1, second);
  if (!/^[0-9a-f]{8}$/.test(hexId)) throw new MalformedInput(`verifier key ${name}: expected 8 lowercase hex digits of key ID, found ${shown(hexId)}`);
  const raw = fromBase64(text.slice(second + 1), `verifier key ${name}`);
  if (raw.length !== 33) throw new MalformedInput(`verifier key ${name}: expected a type byte and a 32-byte Ed25519 key, found ${raw.length} bytes`);
  const sigType = raw[0];
  if (sigType !== SIG_TYPE_ED25519 && sigType !== SIG_TYPE_COSIGNATURE_V1) {
    throw new MalformedInput(`verifier key ${name}: expected signature type 0x01 or 0x04, found 0x${sigType.toString(16).padStart(2, "0")}`);
  }
  const publicKey = raw.subarray(1);
  const want = keyId(name, sigType, publicKey);
  if (parseInt(hexId, 16) !== want) throw new MalformedInput(`verifier key ${name}: expected key ID ${hex8(want)}, found ${hexId}`);
  return { name, keyId: want, sigType, publicKey, ref: `${name}+${hexId}`, text };
}

/**
 * Parse a signed note (syntax only): { text, signatures: [{name, keyId, signature}] }.
 * @throws {LimitExceeded|MalformedInput} as the Python reference's Note.from_bytes.
 */
export function parseNote(note) {
  const bytes = typeof note === "string" ? utf8(note) : note;
  if (bytes.length > MAX_NOTE_BYTES) throw new LimitExceeded(`signed note: expected at most ${MAX_NOTE_BYTES} bytes, found ${bytes.length}`);
  const whole = fromUtf8(bytes, "signed note");
  if (/[\u0000-\u0009\u000b-\u001f]/.test(whole)) throw new MalformedInput("signed note: expected no control characters but newline, found one");
  const split = whole.lastIndexOf("\n\n");
  if (split < 0) throw new MalformedInput("signed note: expected a blank line before the signatures, found none");
  const text = whole.slice(0, split + 1);
  const block = whole.slice(split + 2);
  if (!block.endsWith("\n")) throw new MalformedInput("signed note: expected the last signature line to end in a newline");
  const lines = block.slice(0, -1).split("\n");
  if (lines.length > MAX_SIGNATURES) throw new LimitExceeded(`signed note: expected at most ${MAX_SIGNATURES} signatures, found ${lines.length}`);
  const signatures = lines.map((line) => {
    if (!line.startsWith(DASH)) throw new MalformedInput(`signature line: expected it to start with an em dash and a space, found ${shown(line.slice(0, 40))}`);
    const rest = line.slice(DASH.length);
    const sp = rest.indexOf(" ");
    if (sp < 0) throw new MalformedInput(`signature line: expected '<name> <base64>', found ${shown(line)}`);
    const name = checkKeyName(rest.slice(0, sp));
    const raw = fromBase64(rest.slice(sp + 1), `signature of '${name}'`);
    if (raw.length < 5) throw new MalformedInput(`signature of '${name}': expected a 4-byte key ID and a signature, found ${raw.length} bytes`);
    return { name, keyId: ((raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3]) >>> 0, signature: raw.subarray(4) };
  });
  return { text, signatures };
}

/** Parse a checkpoint body: { origin, size, root (bytes), rootHex, extensions, claimedTime }. */
export function parseCheckpointBody(text) {
  if (!text.endsWith("\n")) throw new MalformedInput("checkpoint: expected text ending in a newline");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) throw new MalformedInput(`checkpoint: expected at least 3 lines, found ${lines.length}`);
  if (!/^(0|[1-9][0-9]*)$/.test(lines[1]) || Number(lines[1]) > Number.MAX_SAFE_INTEGER) {
    throw new MalformedInput(`checkpoint size: expected a decimal without leading zeroes, found ${shown(lines[1])}`);
  }
  const root = fromBase64(lines[2], "checkpoint root");
  if (root.length !== 32) throw new MalformedInput(`checkpoint root: expected a 32-byte hash, found ${root.length} bytes`);
  const extensions = lines.slice(3);
  const times = extensions.filter((e) => e.split(" ", 1)[0] === "chainwitness-time");
  const claimedTime = times.length === 1 ? Number(times[0].split(" ")[1]) : null;
  return { origin: lines[0], size: Number(lines[1]), root, rootHex: toHex(root), extensions, claimedTime };
}

function cosignatureMessage(text, timestamp) {
  return utf8(`${COSIG_HEADER}time ${timestamp}\n${text}`);
}

function u64(bytes) {
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/**
 * Verify a checkpoint note's origin and its signature by the pinned log key.
 * @param {string|Uint8Array} noteText  the whole signed note
 * @param {object} pins  { origin, logKey (vkey text) }
 * @returns {{note, checkpoint}}
 * @throws {VerificationFailed} another origin, no or an invalid log signature.
 */
export function verifyLogSignature(noteText, { origin, logKey }) {
  const note = parseNote(noteText);
  const checkpoint = parseCheckpointBody(note.text);
  const log = parseVerifierKey(logKey);
  if (checkpoint.origin !== origin) {
    throw new VerificationFailed(`checkpoint: expected origin ${origin}, found ${checkpoint.origin}`);
  }
  const textBytes = utf8(note.text);
  const logLines = note.signatures.filter((s) => s.name === log.name && s.keyId === log.keyId);
  if (!logLines.length) throw new VerificationFailed(`checkpoint: expected a signature by the pinned log key ${log.ref}, found none`);
  for (const line of logLines) {
    if (line.signature.length !== 64 || !isValidEd25519(log.publicKey, textBytes, line.signature)) {
      throw new VerificationFailed(`checkpoint: expected a valid signature by the pinned log key ${log.ref}, found an invalid one`);
    }
  }
  return { note, checkpoint };
}

/**
 * Count the pinned witnesses' cosignatures on a parsed note (verifyLogSignature's).
 * @param {number} now  the verifier's clock, POSIX seconds
 * @returns {{cosignatures: [{ref, timestamp}], quorum, of, witnessedTime}}
 *   `witnessedTime` is the k-th earliest cosignature time: when k witnesses had seen it.
 * @throws {VerificationFailed} a pinned witness's line that does not verify, or fewer
 *   than `quorum` witnesses counted.
 */
export function verifyCosignatures(note, checkpoint, { witnessKeys, quorum }, now) {
  const keys = witnessKeys.map(parseVerifierKey);
  const earliest = new Map();
  const tooNew = [];
  for (const key of keys) {
    for (const line of note.signatures) {
      if (line.name !== key.name || line.keyId !== key.keyId) continue;
      const sig = line.signature;
      const ts = sig.length === 72 ? u64(sig) : -1n;
      if (ts < 0n || ts >= 2n ** 63n || !isValidEd25519(key.publicKey, cosignatureMessage(note.text, ts), sig.subarray(8))) {
        throw new VerificationFailed(`cosignature: expected a valid cosignature/v1 by ${key.ref}, found an invalid one`);
      }
      const t = Number(ts);
      if (t > now + MAX_FUTURE_S) tooNew.push(`${key.ref} at ${t} (now ${now})`);
      else if (!earliest.has(key.ref) || t < earliest.get(key.ref)) earliest.set(key.ref, t);
    }
  }
  if (earliest.size < quorum) {
    const counted = [...earliest.keys()].sort().join(", ") || "none";
    const extra = tooNew.length ? `; dated in the future: ${tooNew.join(", ")}` : "";
    throw new VerificationFailed(
      `checkpoint ${checkpoint.origin} size ${checkpoint.size}: expected cosignatures by at least ${quorum} of ${keys.length} pinned witnesses, found ${earliest.size} (${counted})${extra}`);
  }
  const cosignatures = [...earliest.entries()].map(([ref, timestamp]) => ({ ref, timestamp }))
    .sort((a, b) => a.timestamp - b.timestamp || (a.ref < b.ref ? -1 : 1));
  return { cosignatures, quorum, of: keys.length, witnessedTime: cosignatures[quorum - 1].timestamp };
}

/** Both checks: the log's signature, then k of n witnesses (Python's verify_witnessed). */
export function verifyWitnessedCheckpoint(noteText, pins, now) {
  const { note, checkpoint } = verifyLogSignature(noteText, pins);
  return { checkpoint, ...verifyCosignatures(note, checkpoint, pins, now) };
}
