// The notary page (数字公证): the notarization requests to review; each request's
// evidence package verified here with the library's package verifier against the
// policy pinned on /verify; then issue (the certificate signed ES256K and the
// registerCertificate transaction signed with the notary's own key, here), reject
// (an EIP-712 Rejection signed here) or revoke (the notary's own revokeCertificate
// transaction). The key never leaves the page; the service only relays.

import * as cw from "./chainwitness.js";
import { setupLanguage, translator } from "./i18n.js";
import { api, chainReader, CHECK_STRINGS, checksTable, downloadLink, el, facts, KEY_STRINGS, ownKey, pinnedPolicy, showPolicyStatus } from "./ui.js";

const S = {
  ...KEY_STRINGS,
  ...CHECK_STRINGS,
  title: { zh: "链见证 · 数字公证", en: "Chain Witness · notary" },
  skip: { zh: "跳到正文", en: "Skip to content" },
  lead: {
    zh: "审查公证申请：每个取证包都在本浏览器中按固定的信任策略核验；用您自己的公证员密钥签发、驳回或撤销，密钥不离开本页。",
    en: "Review notarization requests: every evidence package is verified in this browser against the pinned trust policy; issue, reject or revoke with your own notary key, which never leaves this page.",
  },
  keyH: { zh: "1. 公证员密钥与令牌", en: "1. Notary key and token" },
  fAddress: { zh: "公证员地址", en: "Notary address" },
  fPinned: { zh: "信任策略固定的公证员", en: "Notary pinned by the trust policy" },
  pinnedYes: { zh: "是本密钥", en: "this key" },
  pinnedNo: { zh: "不是本密钥：服务将拒绝本密钥签发的公证书", en: "not this key: the service will refuse certificates it signs" },
  tokenLabel: { zh: "公证员令牌（只保存在本标签页）", en: "Notary token (kept in this tab only)" },
  nameLabel: { zh: "公证机构名称（写入证书）", en: "Notary office name (written in the certificate)" },
  policyNone: { zh: "未固定信任策略：请先在公开验证页载入信任策略，否则无法核验取证包。", en: "No trust policy pinned: load it on the verification page first, or packages cannot be verified." },
  policyPinned: { zh: "已固定信任策略 {0}", en: "Trust policy pinned: {0}" },
  requestsH: { zh: "2. 待审查的公证申请", en: "2. Requests to review" },
  requestsGo: { zh: "列出申请", en: "List requests" },
  requestsNone: { zh: "没有公证申请。", en: "No notarization requests." },
  thId: { zh: "编号", en: "No." },
  thSubject: { zh: "事项", en: "Subject" },
  thRequester: { zh: "申请方", en: "Requester" },
  thStatus: { zh: "状态", en: "Status" },
  thAction: { zh: "操作", en: "Action" },
  reviewGo: { zh: "审查申请 {0}", en: "Review request {0}" },
  reviewH: { zh: "3. 取证包自动核验结果（在本浏览器中）", en: "3. Automatic package verification (in this browser)" },
  reviewNone: { zh: "请在上面选择一个申请。", en: "Choose a request above." },
  working: { zh: "正在下载并核验取证包…", en: "Downloading and verifying the package…" },
  pkgVerified: { zh: "申请 {0} 的取证包已验证：{1} 条记录，全部在链上锚定的日志中。", en: "Request {0}'s package verified: {1} records, all in the log anchored on chain." },
  pkgFailed: { zh: "申请 {0} 的取证包未通过核验：不应签发。", en: "Request {0}'s package FAILED verification: do not issue." },
  pkgUnpinned: { zh: "申请 {0} 的取证包与自身一致，但未按固定的信任策略与区块链核对。", en: "Request {0}'s package is consistent with itself, but not checked against the pinned policy and the chain." },
  pkgDigest: { zh: "取证包摘要与申请记载不符：{0}", en: "The package digest differs from the request's: {0}" },
  decideH: { zh: "决定", en: "Decision" },
  issueGo: { zh: "签发公证书", en: "Issue the certificate" },
  rejectLabel: { zh: "驳回理由", en: "Reason for rejection" },
  rejectGo: { zh: "驳回申请", en: "Reject the request" },
  needKey: { zh: "请先载入公证员密钥", en: "Load the notary key first" },
  needToken: { zh: "需要令牌：请先填写公证员令牌", en: "A token is needed: enter the notary token first" },
  needName: { zh: "请填写公证机构名称", en: "Enter the notary office name" },
  needReason: { zh: "请填写驳回理由", en: "Enter the reason for rejection" },
  notVerified: { zh: "取证包未通过本浏览器的核验，不能签发", en: "The package did not verify in this browser: it cannot be issued" },
  issuing: { zh: "正在签名并提交…", en: "Signing and submitting…" },
  issued: { zh: "公证书已签发：{0}，摘要 {1}，已在 NotaryRegistry 登记。", en: "Certificate issued: {0}, digest {1}, registered on NotaryRegistry." },
  rejected: { zh: "申请 {0} 已驳回（由 {1} 签名）。", en: "Request {0} rejected (signed by {1})." },
  fSerial: { zh: "编号", en: "Serial" },
  fDigest: { zh: "公证书摘要", en: "Certificate digest" },
  fTx: { zh: "登记交易", en: "Registration transaction" },
  jwsSave: { zh: "下载公证书（JWS）", en: "Download the certificate (JWS)" },
  verifyLink: { zh: "在公开验证页核验", en: "Verify on the public page" },
  revokeH: { zh: "4. 撤销公证书", en: "4. Revoke a certificate" },
  revokeDigest: { zh: "公证书摘要（SHA-256）", en: "Certificate digest (SHA-256)" },
  revokeCode: { zh: "撤销原因", en: "Reason" },
  code4: { zh: "4 被取代", en: "4 superseded" },
  code17: { zh: "17 误发", en: "17 issued in error" },
  code16: { zh: "16 取证包撤回", en: "16 package withdrawn" },
  code1: { zh: "1 密钥泄露", en: "1 key compromise" },
  revokeGo: { zh: "撤销（用您的密钥签名链上交易）", en: "Revoke (the chain transaction signed with your key)" },
  revoked: { zh: "已撤销，原因代码 {0}，交易 {1}。", en: "Revoked, reason code {0}, transaction {1}." },
  toVerify: { zh: "公开验证页", en: "Public verification page" },
  apiDocs: { zh: "API 文档", en: "API reference" },
};

const $ = (id) => document.getElementById(id);
const t = translator(S);
const renders = [];
const policy = pinnedPolicy();
const keep = (render) => {
  renders.push(render);
  render();
};
setupLanguage(S, () => {
  showPolicyStatus($("policy-status"), t, policy);
  for (const r of renders) r();
});

let me = null; // the notary's key, in this page's memory only
let review = null; // { row, result } of the request under review

const tokenInput = $("token");
tokenInput.value = sessionStorage.getItem("cw.notary.token") ?? "";
tokenInput.addEventListener("change", () => sessionStorage.setItem("cw.notary.token", tokenInput.value.trim()));
function token() {
  const value = tokenInput.value.trim();
  if (!value) throw new Error(t("needToken"));
  return value;
}
const hex = cw.toHex;
const post = async (path, body) => (await api(path, token(), {
  method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
})).json();

$("key-go").addEventListener("click", async () => {
  $("key-error").textContent = "";
  try {
    me = await ownKey({ file: $("keystore"), password: $("keystore-password"), hex: $("secret-hex"), none: t("keyNone") });
    keep(() => {
      const pinned = policy?.notary?.address;
      $("key-result").replaceChildren(facts([[t("fAddress"), me.address, "mono"],
        pinned ? [t("fPinned"), `${pinned} (${t(cw.sameAddress(pinned, me.address) ? "pinnedYes" : "pinnedNo")})`, "mono"] : [null, null]]));
      $("key-result").dataset.address = me.address;
    });
  } catch (e) {
    me = null;
    $("key-error").textContent = e.message;
  }
});

async function listRequests() {
  const body = await (await api("/v1/notary/requests", token())).json();
  keep(() => {
    if (!body.requests.length) return $("requests-result").replaceChildren(el("p", { text: t("requestsNone") }));
    const heads = ["thId", "thSubject", "thRequester", "thStatus", "thAction"];
    $("requests-result").replaceChildren(el("table", {},
      el("thead", {}, el("tr", {}, ...heads.map((h) => el("th", { scope: "col", text: t(h) })))),
      el("tbody", {}, ...body.requests.map((r) => {
        const button = el("button", { type: "button", class: "secondary review", "data-request": String(r.request_id), text: t("reviewGo", r.request_id) });
        button.addEventListener("click", () => reviewRequest(r).catch((e) => showReviewError(e)));
        return el("tr", { class: "request", "data-request": String(r.request_id), "data-status": r.status },
          el("td", { text: String(r.request_id) }), el("td", { text: r.subject }), el("td", { text: r.requester }),
          el("td", { text: r.status }), el("td", {}, ["requested", "reviewed", "review_failed"].includes(r.status) ? button : null));
      }))));
  });
}

$("requests-go").addEventListener("click", () => listRequests().catch((e) => { $("requests-error").textContent = e.message; }));

function showReviewError(e) {
  $("verdict").hidden = false;
  $("verdict").dataset.verdict = "failed";
  $("verdict").textContent = e.message;
  document.body.dataset.state = "done";
}

async function reviewRequest(row) {
  $("review-none").hidden = true;
  $("decide").hidden = true;
  $("decide-error").textContent = "";
  $("decide-status").hidden = true;
  const verdict = $("verdict");
  verdict.hidden = false;
  verdict.dataset.verdict = "working";
  verdict.textContent = t("working");
  document.body.dataset.state = "working";
  const blob = await (await api(`/v1/notary/requests/${row.request_id}/package`, token())).blob();
  const result = await cw.verifyPackage(blob, { policy, rpc: await chainReader(), now: Math.floor(Date.now() / 1000) });
  const digestOk = result.sha256 === row.package_sha256;
  review = { row, result: { ...result, verdict: digestOk ? result.verdict : "failed" } };
  keep(() => {
    if (review?.row !== row) return;
    const v = review.result.verdict;
    verdict.dataset.verdict = v;
    verdict.textContent = !digestOk ? t("pkgDigest", result.sha256) : v === "verified" ? t("pkgVerified", row.request_id, result.records.length)
      : v === "failed" ? t("pkgFailed", row.request_id) : t("pkgUnpinned", row.request_id);
    $("review-result").replaceChildren(checksTable(t, result.checks));
  });
  $("decide").hidden = false;
  document.body.dataset.state = "done";
  document.body.dataset.reviewed = String(row.request_id);
}

function ready() {
  if (!me) throw new Error(t("needKey"));
  return token();
}

async function issue() {
  ready();
  if (!review) throw new Error(t("reviewNone"));
  if (review.result.verdict !== "verified") throw new Error(t("notVerified"));
  const name = $("notary-name").value.trim();
  if (!name) throw new Error(t("needName"));
  const { row, result } = review;
  const newest = result.heads.reduce((a, b) => (b.tree_size > a.tree_size ? b : a));
  const now = new Date();
  const credential = cw.credentialJson({
    serial: `CWN-${now.getUTCFullYear()}-${String(row.request_id).padStart(6, "0")}`,
    chainId: policy.chainId, notary: me.address, notaryName: name,
    validFrom: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    packageDigest: row.package_sha256, subject: result.manifest.subject, records: result.records.length,
    treeSize: newest.tree_size, treeRoot: newest.root,
    anchor: { chainId: newest.chain_id, contract: newest.contract, txHash: newest.tx_hash, blockNumber: newest.block_number },
  });
  const { jws, digest } = cw.issueCertificate(credential, me.secret);
  const registry = policy.contracts.NotaryRegistry;
  const data = cw.registerCertificateData(cw.fromHex(digest), cw.fromHex(row.package_sha256), newest.tree_size, cw.fromHex(newest.root));
  const raw = await cw.signContractCall(await chainReader(), me.secret, { chainId: policy.chainId, from: me.address, to: registry, data });
  const issued = await post(`/v1/notary/requests/${row.request_id}/certificate`, { jws, transaction: `0x${hex(raw)}` });
  if (issued.certificate_digest !== digest) throw new cw.VerificationFailed(`certificate: expected digest ${digest}, found ${issued.certificate_digest}`);
  keep(() => {
    $("decide-status").hidden = false;
    $("decide-status").dataset.verdict = "verified";
    $("decide-status").textContent = t("issued", issued.serial, digest);
    $("decide-result").replaceChildren(facts([[t("fSerial"), issued.serial], [t("fDigest"), digest, "mono"], [t("fTx"), issued.tx_hash, "mono"]]));
  });
  downloadLink($("jws-save"), new Blob([jws], { type: "application/vc+jwt" }), `${issued.serial}.jws`);
  $("verify-link").href = `/verify?sha256=${digest}`;
  $("verify-link").hidden = false;
  $("revoke-digest").value = digest;
  document.body.dataset.issued = digest;
}

async function reject() {
  ready();
  if (!review) throw new Error(t("reviewNone"));
  const reason = $("reject-reason").value.trim();
  if (!reason) throw new Error(t("needReason"));
  const { row } = review;
  const typed = {
    types: {
      EIP712Domain: [{ name: "name", type: "string" }, { name: "version", type: "string" }, { name: "chainId", type: "uint256" }, { name: "verifyingContract", type: "address" }],
      Rejection: [{ name: "requestId", type: "uint64" }, { name: "packageDigest", type: "bytes32" }, { name: "reason", type: "string" }],
    },
    primaryType: "Rejection",
    domain: { name: "ChainWitness Notary", version: "1", chainId: policy.chainId, verifyingContract: policy.contracts.NotaryRegistry },
    message: { requestId: row.request_id, packageDigest: `0x${row.package_sha256}`, reason },
  };
  const signature = cw.signTypedData(me.secret, typed);
  const done = await post(`/v1/notary/requests/${row.request_id}/rejection`, { reason, signature: `0x${hex(signature)}` });
  keep(() => {
    $("decide-status").hidden = false;
    $("decide-status").dataset.verdict = "unpinned";
    $("decide-status").textContent = t("rejected", done.request_id, done.notary);
  });
  document.body.dataset.rejected = String(done.request_id);
}

async function revoke() {
  ready();
  const digest = $("revoke-digest").value.trim().toLowerCase();
  const code = Number($("revoke-code").value);
  const data = cw.revokeCertificateData(cw.fromHex(digest, { size: 32, name: "certificate digest" }), code);
  const raw = await cw.signContractCall(await chainReader(), me.secret, { chainId: policy.chainId, from: me.address, to: policy.contracts.NotaryRegistry, data });
  const done = await post(`/v1/notary/certificates/${digest}/revocation`, { transaction: `0x${hex(raw)}` });
  keep(() => { $("revoke-status").textContent = t("revoked", done.reason_code, done.tx_hash); });
  document.body.dataset.revoked = digest;
}

const action = (fn, errorId) => async () => {
  $(errorId).textContent = "";
  document.body.dataset.state = "working";
  try {
    if (!policy) throw new Error(t("policyNone"));
    await fn();
  } catch (e) {
    $(errorId).textContent = e.message;
  } finally {
    document.body.dataset.state = "done";
  }
};
$("issue-go").addEventListener("click", action(issue, "decide-error"));
$("reject-go").addEventListener("click", action(reject, "decide-error"));
$("revoke-go").addEventListener("click", action(revoke, "revoke-error"));
document.body.dataset.ready = "true";
