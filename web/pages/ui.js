// What the pages share: small DOM builders, the checks table, the names of the checks
// the library reports (web/src evidence.js, package.js, certificate.js), and the pinned
// trust policy that every page reads from localStorage (loaded on /verify).

import * as cw from "./chainwitness.js";

export const CHECK_STRINGS = {
  ok: { zh: "✔ 通过", en: "✔ passed" },
  bad: { zh: "✘ 失败", en: "✘ FAILED" },
  skipped: { zh: "— 未检查", en: "— not checked" },
  thCheck: { zh: "检查", en: "Check" },
  thStatus: { zh: "结果", en: "Result" },
  thDetail: { zh: "细节", en: "Detail" },
  "check.record": { zh: "记录与叶哈希", en: "Record and leaf hash" },
  "check.inclusion": { zh: "包含证明（RFC 9162）", en: "Inclusion proof (RFC 9162)" },
  "check.log-signature": { zh: "检查点的日志签名", en: "Checkpoint signed by the log key" },
  "check.cosignatures": { zh: "见证方联署（k/n）", en: "Witness cosignatures (k of n)" },
  "check.pinned-anchor": { zh: "锚定在固定的链与合约", en: "Anchor on the pinned chain and contract" },
  "check.chain-id": { zh: "节点的链 ID", en: "Chain id of the node" },
  "check.chain-root": { zh: "链上的树根（EvidenceLog.rootOf）", en: "Root on chain (EvidenceLog.rootOf)" },
  "check.chain-transaction": { zh: "锚定交易与区块", en: "Anchoring transaction and block" },
  "check.consistency": { zh: "与最新见证检查点一致", en: "Consistent with the newest witnessed checkpoint" },
  "check.container": { zh: "压缩包结构与条目", en: "Container and entries" },
  "check.manifest": { zh: "清单及每个文件的摘要", en: "Manifest and every entry's digest" },
  "check.heads": { zh: "树头之间的一致性证明", en: "Consistency proofs between the heads" },
  "check.anchors": { zh: "锚定交易回执与区块头", en: "Anchoring receipts and block headers" },
  "check.records": { zh: "记录及其包含证明", en: "Records and their inclusion proofs" },
  "check.files": { zh: "原始文件", en: "Original files" },
  "check.signatures": { zh: "当事人签名（EIP-712）", en: "Parties' signatures (EIP-712)" },
  "check.checkpoints": { zh: "检查点：日志签名与见证联署", en: "Checkpoints: log signature and witness cosignatures" },
  "check.timestamps": { zh: "RFC 3161 时间戳", en: "RFC 3161 timestamps" },
  "check.chain": { zh: "链上树根", en: "Roots on chain" },
  "check.signature": { zh: "公证书签名（ES256K）", en: "Certificate signature (ES256K)" },
  "check.trust-policy": { zh: "固定的公证方、链与合约", en: "Pinned notary, chain and contract" },
  "check.tree-head": { zh: "公证所依据的链上树根", en: "The tree head it rests on, on chain" },
  "check.registration": { zh: "登记与撤销状态（NotaryRegistry）", en: "Registration and revocation (NotaryRegistry)" },
};

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export function facts(pairs) {
  const dl = el("dl", { class: "facts" });
  for (const [k, v, cls] of pairs) {
    if (v === null || v === undefined || k === null) continue;
    dl.append(el("dt", { text: k }), el("dd", cls ? { class: cls, text: v } : { text: v }));
  }
  return dl;
}

export function checksTable(t, checks) {
  const body = el("tbody");
  for (const c of checks) {
    body.append(el("tr", { class: "check", "data-check": c.id, "data-ok": String(c.ok) },
      el("td", { text: t(`check.${c.id}`) }),
      el("td", { class: "status", text: t(c.ok === true ? "ok" : c.ok === false ? "bad" : "skipped") }),
      el("td", { class: "detail", text: c.detail })));
  }
  return el("table", { class: "checks" },
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: t("thCheck") }),
      el("th", { scope: "col", text: t("thStatus") }), el("th", { scope: "col", text: t("thDetail") }))),
    body);
}

/** The key-loading form of the pages where a party signs with its own key (ownKey). */
export const KEY_STRINGS = {
  keystoreLabel: { zh: "密钥文件（keystore，只在本浏览器中解密）", en: "Keystore file (decrypted in this browser only)" },
  passwordLabel: { zh: "密钥文件口令", en: "Keystore password" },
  hexLabel: { zh: "或粘贴私钥（64 位十六进制；不会发送）", en: "Or paste the private key (64 hex digits; never sent)" },
  keyGo: { zh: "载入密钥", en: "Load the key" },
  keyNone: { zh: "请选择密钥文件并输入口令，或粘贴私钥", en: "Choose a keystore file and enter its password, or paste the private key" },
};

/** Show in ``node`` whether a trust policy is pinned (each page words "none" itself). */
export function showPolicyStatus(node, t, policy) {
  node.dataset.state = policy ? "pinned" : "none";
  node.textContent = policy ? t("policyPinned", policy.fingerprint) : t("policyNone");
}

/** The trust policy pinned on /verify (localStorage), parsed, or null. */
export function pinnedPolicy() {
  const text = localStorage.getItem("cw.policy");
  if (!text) return null;
  try {
    return cw.parseTrustPolicy(text);
  } catch {
    return null;
  }
}

/** The chain endpoint chosen on /verify, else the operator's hint, as a JsonRpc or null. */
export async function chainReader() {
  let url = localStorage.getItem("cw.rpc");
  if (!url) {
    const r = await fetch("/v1/web/config").catch(() => null);
    url = r && r.ok ? (await r.json()).rpc_url : null;
  }
  return url ? new cw.JsonRpc(url, { timeoutMs: 10000 }) : null;
}

/** fetch with the bearer token the user typed; throws with the problem's detail. */
export async function api(path, token, init = {}) {
  const headers = { ...(init.headers ?? {}), authorization: `Bearer ${token}` };
  const r = await fetch(path, { ...init, headers });
  if (!r.ok) {
    const body = await r.json().catch(() => null);
    throw new Error(`${r.status} ${body?.title ?? ""}: ${body?.detail ?? path}`);
  }
  return r;
}

/**
 * The user's own secp256k1 secret from a keystore file (decrypted here with its
 * password) or pasted hex: { secret, publicKey, address }, kept by the caller in memory
 * only. The inputs are cleared. Throws with `none` when neither was given.
 */
export async function ownKey({ file, password, hex, none }) {
  const pasted = hex.value.trim().replace(/^0x/, "");
  let secret;
  if (pasted) {
    secret = cw.fromHex(pasted, { size: 32, name: "private key", anyCase: true });
  } else {
    const chosen = file.files[0];
    if (!chosen) throw new Error(none);
    secret = (await cw.decryptKeystore(await chosen.text(), password.value)).secret;
  }
  hex.value = "";
  password.value = "";
  return cw.accountOf(secret);
}

/** Point the download link `a` at `blob` saved as `name`. */
export function downloadLink(a, blob, name) {
  if (a.href) URL.revokeObjectURL(a.href);
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.hidden = false;
}
