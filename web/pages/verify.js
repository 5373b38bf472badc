// The public verification page (社会监督): every verdict is computed here, in the
// user's browser, by the library in chainwitness.js; the service's answers are input.
// A file is hashed locally (streaming) and never uploaded; only its digest is sent.

import * as cw from "./chainwitness.js";
import { setupLanguage, translator } from "./i18n.js";
import { CHECK_STRINGS } from "./ui.js";

const S = {
  ...CHECK_STRINGS,
  title: { zh: "链见证 · 公开验证", en: "Chain Witness · public verification" },
  skip: { zh: "跳到正文", en: "Skip to content" },
  langHint: { zh: "切换界面语言", en: "Switch the page language" },
  lead: {
    zh: "在您自己的浏览器里核验：文件在本机计算摘要，从不上传；证明、检查点、见证联署和链上锚定都由本页自行验证，而不是听信服务器。",
    en: "Checked in your own browser: a file is hashed on this machine and never uploaded; the proof, the checkpoint, the witnesses' cosignatures and the chain anchor are each verified by this page, not taken from the server's word.",
  },
  trustH: { zh: "1. 信任策略", en: "1. Trust policy" },
  policyFile: { zh: "载入信任策略文件（随招标公告发布的 trust-policy.json）", en: "Load the trust policy file (trust-policy.json, published with the tender notice)" },
  choosePolicy: { zh: "选择策略文件…", en: "Choose the policy file…" },
  policyPasteH: { zh: "或粘贴策略内容", en: "Or paste the policy" },
  policyText: { zh: "信任策略 JSON", en: "Trust policy JSON" },
  policyApply: { zh: "使用此策略", en: "Use this policy" },
  policyClear: { zh: "清除已保存的策略", en: "Forget the saved policy" },
  policyNone: {
    zh: "未载入信任策略：下方结果只是运营方的说法，未经独立核验。请载入随招标公告发布的信任策略文件。",
    en: "No trust policy loaded: what this page shows is only the operator's word, not independently verified. Load the trust policy published with the tender notice.",
  },
  policyPinned: {
    zh: "已固定信任策略 {0}：链 {1}（{2}），日志 {3}，{4} 个见证方中至少 {5} 个联署。请与招标公告上印的指纹核对。",
    en: "Trust policy pinned, {0}: chain {1} ({2}), log {3}, at least {5} of {4} witnesses must cosign. Compare the fingerprint with the one printed on the tender notice.",
  },
  policyError: { zh: "这不是可用的信任策略：{0}", en: "Not a usable trust policy: {0}" },
  kindDevelopment: { zh: "开发链，由运营方控制", en: "development chain, controlled by its operator" },
  kindConsortium: { zh: "联盟链", en: "consortium chain" },
  rpcLabel: { zh: "区块链节点（JSON-RPC 地址，可填您自己的节点）", en: "Chain node (JSON-RPC URL; use your own node if you have one)" },
  rpcHint: { zh: "读取的链 ID 与合约须与信任策略一致；默认值是运营方的节点。", en: "The chain id and contract read must match the trust policy; the default is the operator's node." },
  inputH: { zh: "2. 要验证什么", en: "2. What to verify" },
  dropText: {
    zh: "把文件拖到这里：普通文件（计算摘要后查询）、取证包（.zip）或公证书（.jws）。",
    en: "Drop a file here: any document (hashed, then looked up), an evidence package (.zip) or a notarization certificate (.jws).",
  },
  chooseFile: { zh: "选择文件…", en: "Choose a file…" },
  digestLabel: { zh: "或粘贴 SHA-256 摘要（64 位十六进制）", en: "Or paste a SHA-256 digest (64 hex digits)" },
  digestGo: { zh: "查询并验证", en: "Look up and verify" },
  digestBad: { zh: "需要 64 位十六进制的 SHA-256 摘要，收到的是 {0} 个字符", en: "Expected a SHA-256 digest of 64 hex digits, found {0} characters" },
  hashing: { zh: "正在本机计算 {0} 的 SHA-256（{1}）…文件不会上传", en: "Hashing {0} on this machine ({1})… the file is not uploaded" },
  hashed: { zh: "{0}：SHA-256 {1}（在本机计算，{2}）", en: "{0}: SHA-256 {1} (computed here, {2})" },
  resultH: { zh: "3. 验证结果", en: "3. Result" },
  print: { zh: "打印 / 存为 PDF", en: "Print / save as PDF" },
  footer: {
    zh: "本页全部代码由本服务提供，不依赖任何外部网站；验证规则见 docs/proof-format.md、docs/evidence-package.md 与 docs/web-crypto.md。",
    en: "Every script of this page is served by this service, none from elsewhere; the rules checked are in docs/proof-format.md, docs/evidence-package.md and docs/web-crypto.md.",
  },
  apiDocs: { zh: "API 文档", en: "API reference" },
  working: { zh: "正在获取并验证…", en: "Fetching and verifying…" },
  verified: { zh: "已验证：该内容于 {0} 前已被记录（{1}/{2} 个固定见证方联署，链上锚定已核对）。", en: "Verified: recorded by {0} ({1} of {2} pinned witnesses cosigned, the chain anchor checked)." },
  failed: { zh: "验证失败：服务器给出的证据未通过检查：{0}。不要相信这份记录。", en: "Verification FAILED: the evidence the server gave fails: {0}. Do not rely on this record." },
  unpinned: { zh: "仅为运营方的说法：{0}，本页没有独立核验它。", en: "The operator's word only: {0}; this page did not independently verify it." },
  unpinnedNoPolicy: { zh: "未载入信任策略", en: "no trust policy is loaded" },
  unpinnedNoRpc: { zh: "没有读取区块链", en: "the chain was not read" },
  unpinnedChecks: { zh: "有检查未完成", en: "some checks did not run" },
  notfound: { zh: "未找到：服务器说摘要 {0} 没有被记录。", en: "Not found: the server says digest {0} was not recorded." },
  withheld: { zh: "已记录 {0} 次，但属于未开标的投标，开标前不公开记录和证明。", en: "Recorded {0} time(s), but as a bid of a tender not yet opened: record and proof are withheld until opening." },
  errorFetch: { zh: "无法获取：{0}", en: "Could not fetch: {0}" },
  recordN: { zh: "记录 #{0}", en: "Record #{0}" },
  fKind: { zh: "类型", en: "Kind" },
  fSubject: { zh: "事项", en: "Subject" },
  fActor: { zh: "提交方", en: "Submitted by" },
  fSubmitted: { zh: "提交时间（运营方时钟）", en: "Submitted at (operator's clock)" },
  fWitnessed: { zh: "见证时间（{0}/{1} 见证方各自的时钟）", en: "Witnessed at ({0} of {1} witnesses, their own clocks)" },
  fBlock: { zh: "区块时间", en: "Block time" },
  fTx: { zh: "锚定交易", en: "Anchoring transaction" },
  fDigest: { zh: "SHA-256", en: "SHA-256" },
  fTree: { zh: "日志位置", en: "Log position" },
  treePos: { zh: "第 {0} 条，树大小 {1}", en: "leaf {0} of a tree of {1}" },
  devChain: { zh: "（开发链：由运营方控制，时间与状态可被改写）", en: " (development chain: controlled by its operator, its time and state can be rewritten)" },
  packageH: { zh: "取证包 {0}", en: "Evidence package {0}" },
  packageVerified: { zh: "取证包已验证：{0} 条记录，全部在链上锚定的日志中（离线核验，见证联署与链上树根已核对）。", en: "Evidence package verified: {0} records, all in the log anchored on chain (checked offline, witness cosignatures and roots on chain checked)." },
  packageMeta: { zh: "{0}，SHA-256 {1}，在本机读取，未上传", en: "{0}, SHA-256 {1}, read on this machine, not uploaded" },
  fRecords: { zh: "记录", en: "Records" },
  fPackageSubject: { zh: "取证事项", en: "Package subject" },
  fCreated: { zh: "生成时间（运营方时钟）", en: "Created (operator's clock)" },
  certH: { zh: "公证书 {0}", en: "Notarization certificate {0}" },
  certVerified: { zh: "公证书已验证：由固定的公证方签发，所依据的树根在链上。登记与撤销状态未在浏览器中核对。", en: "Certificate verified: issued by the pinned notary, its tree head is on chain. Registration and revocation were not checked in the browser." },
  fIssuer: { zh: "签发方", en: "Issuer" },
  fValidFrom: { zh: "生效时间", en: "Valid from" },
  fStatement: { zh: "公证内容", en: "Statement" },
  fPackageDigest: { zh: "取证包摘要", en: "Package digest" },
  fCertDigest: { zh: "公证书摘要", en: "Certificate digest" },
  printNote: { zh: "打印于 {0}，页面 {1}；信任策略 {2}。所有检查均在浏览器中完成。", en: "Printed {0} from {1}; trust policy {2}. Every check ran in the browser." },
  noPolicyShort: { zh: "未载入", en: "none loaded" },
  sourceDigest: { zh: "查询的摘要：{0}", en: "Digest looked up: {0}" },
};

const $ = (id) => document.getElementById(id);
let policy = null;
let policyError = null;
let rerender = () => {};
let fileStatus = () => "";
const t = translator(S);
setupLanguage(S, () => {
  showPolicy();
  $("file-status").textContent = fileStatus();
  rerender();
});

// ---------------------------------------------------------------- trust policy

function showPolicy() {
  const el = $("policy-status");
  if (policyError) {
    el.dataset.state = "error";
    el.textContent = t("policyError", policyError);
  } else if (policy) {
    el.dataset.state = "pinned";
    el.textContent = t("policyPinned", policy.fingerprint, policy.chainId,
      t(policy.chainKind === "development" ? "kindDevelopment" : "kindConsortium"),
      policy.origin, policy.witnessKeys.length, policy.quorum);
  } else {
    el.dataset.state = "none";
    el.textContent = t("policyNone");
  }
}

function usePolicy(text, remember = true) {
  try {
    policy = cw.parseTrustPolicy(text);
    policyError = null;
    if (remember) localStorage.setItem("cw.policy", text);
  } catch (e) {
    policyError = e.message;
  }
  showPolicy();
}

$("policy-file").addEventListener("change", async (ev) => {
  const file = ev.target.files[0];
  if (file) usePolicy(await file.text());
});
$("policy-apply").addEventListener("click", () => usePolicy($("policy-text").value));
$("policy-clear").addEventListener("click", () => {
  localStorage.removeItem("cw.policy");
  policy = null;
  policyError = null;
  showPolicy();
});

// ---------------------------------------------------------------- chain endpoint

const rpcInput = $("rpc");
let embeddedChain = null;
rpcInput.addEventListener("change", () => localStorage.setItem("cw.rpc", rpcInput.value.trim()));

function chainReader() {
  const url = rpcInput.value.trim();
  return url ? new cw.JsonRpc(url, { timeoutMs: 10000 }) : null;
}

// ---------------------------------------------------------------- fetching

async function getJson(path) {
  const r = await fetch(path, { headers: { accept: "application/json" } });
  const body = await r.json().catch(() => null);
  if (!r.ok) {
    const detail = body?.detail ?? `HTTP ${r.status}`;
    const err = new Error(`${path}: ${detail}`);
    err.status = r.status;
    throw err;
  }
  return body;
}

async function latestFor(proofs) {
  // the newest checkpoint and, per proof, that it extends the proof's head
  let head;
  try {
    head = await getJson("/v1/checkpoints/latest");
  } catch {
    return proofs.map(() => null);
  }
  return Promise.all(proofs.map(async (p) => {
    if (p.tree_size > head.tree_size) return null;
    try {
      const consistency = await getJson(`/v1/proofs/consistency?first=${p.tree_size}&second=${head.tree_size}`);
      return { checkpoint: head.checkpoint, consistency };
    } catch {
      return null;
    }
  }));
}

// ---------------------------------------------------------------- rendering

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

const iso = (s) => new Date(s * 1000).toISOString().replace(".000Z", "Z");

function checksTable(checks) {
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

function facts(pairs) {
  const dl = el("dl", { class: "facts" });
  for (const [k, v, cls] of pairs) {
    if (v === null || v === undefined) continue;
    dl.append(el("dt", { text: k }), el("dd", cls ? { class: cls, text: v } : { text: v }));
  }
  return dl;
}

function proofBlock(proof, result) {
  const r = result.record ?? {};
  const w = result.witnessed;
  const a = result.anchor;
  const dev = policy ? policy.chainKind === "development" : embeddedChain !== false;
  return el("div", { class: "proof", "data-leaf": String(proof.leaf_index), "data-verdict": result.verdict },
    el("h3", { text: t("recordN", proof.leaf_index) }),
    facts([
      [t("fKind"), r.kind], [t("fSubject"), r.subject], [t("fActor"), r.actor],
      [t("fDigest"), r.digests?.sha256, "mono"],
      [t("fSubmitted"), r.submitted_at],
      [w ? t("fWitnessed", w.quorum, w.of) : null, w ? iso(w.witnessedTime) : null],
      [t("fBlock"), a ? iso(a.block_time) + (dev ? t("devChain") : "") : null],
      [t("fTx"), a ? `${a.tx_hash} (#${a.block_number})` : null, "mono"],
      [t("fTree"), t("treePos", proof.leaf_index, proof.tree_size)],
    ].filter(([k]) => k !== null)),
    checksTable(result.checks));
}

async function verifyPackageFile(file) {
  showWorking();
  const result = await cw.verifyPackage(file, { policy, rpc: chainReader(), now: Math.floor(Date.now() / 1000) });
  showResult(() => {
    const m = result.manifest;
    const text = result.verdict === "verified" ? t("packageVerified", result.records.length)
      : verdictText(result.verdict, [result]);
    const list = el("ul", {});
    for (const { index, record } of result.records) {
      list.append(el("li", { text: `#${index} ${record.kind} · ${record.subject} · ${record.submitted_at} · ${record.digests?.sha256 ?? ""}` }));
    }
    const block = el("div", { class: "proof", "data-verdict": result.verdict },
      el("h3", { text: t("packageH", file.name) }),
      facts([[t("fPackageSubject"), m?.subject], [t("fCreated"), m?.created_at], [t("fRecords"), String(result.records.length)]]),
      list, checksTable(result.checks));
    return { verdict: result.verdict, text, meta: t("packageMeta", file.name, result.sha256), blocks: [block] };
  });
  document.body.dataset.state = "done";
}

async function verifyCertificateText(jws, meta) {
  showWorking();
  const result = await cw.verifyCertificate(jws, { policy, rpc: chainReader() });
  showResult(() => {
    const c = result.credential;
    const cs = c?.credentialSubject;
    const text = result.verdict === "verified" ? t("certVerified") : verdictText(result.verdict, [result]);
    const block = el("div", { class: "proof", "data-verdict": result.verdict },
      el("h3", { text: t("certH", c?.id ?? "") }),
      facts([
        [t("fIssuer"), c ? `${c.issuer?.name} (${c.issuer?.id})` : null],
        [t("fValidFrom"), c?.validFrom], [t("fPackageSubject"), cs?.subject],
        [t("fStatement"), cs?.statement?.[document.documentElement.lang === "en" ? "en" : "zh"]],
        [t("fPackageDigest"), cs?.packageDigest, "mono"], [t("fCertDigest"), result.digest, "mono"],
      ]),
      checksTable(result.checks));
    return { verdict: result.verdict, text, meta, blocks: [block] };
  });
  document.body.dataset.state = "done";
}

function overall(results) {
  if (results.some((r) => r.verdict === "failed")) return "failed";
  if (results.length && results.every((r) => r.verdict === "verified")) return "verified";
  return "unpinned";
}

function verdictText(verdict, results, extra = {}) {
  if (verdict === "verified") {
    const w = results.map((r) => r.witnessed).filter(Boolean).sort((a, b) => a.witnessedTime - b.witnessedTime)[0];
    return t("verified", w ? iso(w.witnessedTime) : "?", w?.quorum ?? "?", w?.of ?? "?");
  }
  if (verdict === "failed") {
    const names = [...new Set(results.flatMap((r) => r.checks).filter((c) => c.ok === false).map((c) => t(`check.${c.id}`)))];
    return t("failed", names.join("、"));
  }
  if (verdict === "notfound") return t("notfound", extra.digest);
  if (verdict === "withheld") return t("withheld", extra.withheld);
  const why = !policy ? t("unpinnedNoPolicy") : !chainReader() ? t("unpinnedNoRpc") : t("unpinnedChecks");
  return t("unpinned", why);
}

function showResult(render) {
  rerender = () => {
    const body = $("result-body");
    body.replaceChildren();
    const { verdict, text, meta, blocks } = render();
    $("verdict").dataset.verdict = verdict;
    $("verdict").textContent = text;
    $("result-meta").textContent = (typeof meta === "function" ? meta() : meta) ?? "";
    body.append(...blocks);
    $("print-note").textContent = t("printNote", new Date().toISOString(), location.href, policy ? policy.fingerprint : t("noPolicyShort"));
  };
  $("result").hidden = false;
  rerender();
}

function showWorking() {
  $("result").hidden = false;
  $("verdict").dataset.verdict = "working";
  $("verdict").textContent = t("working");
  $("result-body").replaceChildren();
  document.body.dataset.state = "working";
}

function showError(message) {
  showResult(() => ({ verdict: "failed", text: t("errorFetch", message), blocks: [] }));
  document.body.dataset.state = "done";
}

// ---------------------------------------------------------------- the journeys

/** Look up `digest` and verify every proof of it. */
async function verifyDigest(digest, meta = null) {
  showWorking();
  let answer;
  try {
    answer = await getJson(`/v1/verify/${digest}`);
  } catch (e) {
    return showError(e.message);
  }
  if (!answer.found && meta === "qr") {
    // a certificate's QR code names the certificate's digest: fetch it, check it here
    const r = await fetch(`/v1/notary/certificates/${digest}`);
    if (r.ok) return verifyCertificateText((await r.text()).trim(), t("sourceDigest", digest));
  }
  if (meta === "qr") meta = null;
  if (!answer.found) {
    showResult(() => ({ verdict: "notfound", text: verdictText("notfound", [], { digest }), meta: meta ?? t("sourceDigest", digest), blocks: [] }));
    document.body.dataset.state = "done";
    return;
  }
  if (!answer.proofs.length) {
    showResult(() => ({ verdict: "withheld", text: verdictText("withheld", [], { withheld: answer.withheld }), meta, blocks: [] }));
    document.body.dataset.state = "done";
    return;
  }
  const latest = await latestFor(answer.proofs);
  const rpc = chainReader();
  const now = Math.floor(Date.now() / 1000);
  const results = [];
  for (let i = 0; i < answer.proofs.length; i++) {
    results.push(await cw.verifyProofAnswer({ proof: answer.proofs[i], checkpoint: answer.checkpoints[i] },
      { policy, rpc, digest, now, latest: latest[i] }));
  }
  showResult(() => {
    const verdict = overall(results);
    return { verdict, text: verdictText(verdict, results), meta: meta ?? t("sourceDigest", digest),
      blocks: answer.proofs.map((p, i) => proofBlock(p, results[i])) };
  });
  document.body.dataset.state = "done";
}

function sizeText(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1048576).toFixed(1)} MiB`;
}

async function hashFile(file) {
  const size = sizeText(file.size);
  const bar = $("hash-progress");
  bar.hidden = false;
  bar.value = 0;
  fileStatus = () => t("hashing", file.name, size);
  $("file-status").textContent = fileStatus();
  const digest = cw.toHex(await cw.sha256Blob(file, { progress: (done) => { bar.value = file.size ? done / file.size : 1; } }));
  bar.value = 1;
  fileStatus = () => t("hashed", file.name, digest, size);
  $("file-status").textContent = fileStatus();
  return digest;
}

async function handleFile(file) {
  if (!file) return;
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  const isZip = head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
  if (isZip) return verifyPackageFile(file);
  if (file.size < 65536) {
    const text = (await file.text()).trim();
    if (/^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(text)) return verifyCertificateText(text, file.name);
  }
  const digest = await hashFile(file);
  $("digest").value = digest;
  return verifyDigest(digest, () => t("hashed", file.name, digest, sizeText(file.size)));
}

$("file").addEventListener("change", (ev) => handleFile(ev.target.files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (ev) => {
  ev.preventDefault();
  drop.classList.remove("over");
  handleFile(ev.dataTransfer.files[0]);
});
$("digest-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const value = $("digest").value.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(value)) {
    $("digest-error").textContent = t("digestBad", value.length);
    $("digest").setAttribute("aria-invalid", "true");
    return;
  }
  $("digest-error").textContent = "";
  $("digest").removeAttribute("aria-invalid");
  verifyDigest(value);
});
$("print").addEventListener("click", () => window.print());

// ---------------------------------------------------------------- start

async function start() {
  const saved = localStorage.getItem("cw.policy");
  if (saved) usePolicy(saved, false);
  else showPolicy();
  let config = null;
  try {
    config = await getJson("/v1/web/config");
  } catch {
    config = null;
  }
  embeddedChain = config?.embedded_chain ?? null;
  rpcInput.value = localStorage.getItem("cw.rpc") ?? config?.rpc_url ?? "";
  const params = new URLSearchParams(location.search);
  const sha = params.get("sha256");
  const report = params.get("report");
  if (sha && /^[0-9a-fA-F]{64}$/.test(sha)) {
    $("digest").value = sha.toLowerCase();
    await verifyDigest(sha.toLowerCase(), "qr");
  } else if (report) {
    showWorking();
    try {
      const r = await getJson(`/v1/reports/${encodeURIComponent(report)}`);
      const digest = r.record?.digests?.sha256;
      $("digest").value = digest ?? "";
      await verifyDigest(digest, () => `${report} · SHA-256 ${digest}`);
    } catch (e) {
      showError(e.message);
    }
  }
  document.body.dataset.ready = "true";
}

window.cwVerify = { verifyDigest, handleFile, t };
start();
