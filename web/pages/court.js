// The court page (司法监督): search, request and download an evidence package with the
// court's (or regulator's) token, then verify the package here, offline, against the
// trust policy pinned on /verify. The service records every search and download as
// custody evidence; the page shows the custody record's number.

import * as cw from "./chainwitness.js";
import { setupLanguage, translator } from "./i18n.js";
import { api, chainReader, CHECK_STRINGS, checksTable, el, facts, pinnedPolicy, showPolicyStatus } from "./ui.js";

const S = {
  ...CHECK_STRINGS,
  title: { zh: "链见证 · 司法取证", en: "Chain Witness · court retrieval" },
  skip: { zh: "跳到正文", en: "Skip to content" },
  lead: {
    zh: "按招标项目、当事人、摘要和时间检索记录，申请并下载取证包；每次检索和下载都作为保管链记录存证。下载的取证包在本浏览器中离线核验。",
    en: "Search records by tender, party, digest and time; request and download an evidence package. Every search and download is itself recorded (chain of custody). The package is verified offline in this browser.",
  },
  tokenH: { zh: "1. 访问令牌", en: "1. Access token" },
  tokenLabel: { zh: "法院或监管令牌（只保存在本标签页）", en: "Court or regulator token (kept in this tab only)" },
  policyNone: { zh: "未固定信任策略：请先在公开验证页载入信任策略，否则核验结果只是运营方的说法。", en: "No trust policy pinned: load it on the verification page first, or the result is only the operator's word." },
  policyPinned: { zh: "已固定信任策略 {0}", en: "Trust policy pinned: {0}" },
  searchH: { zh: "2. 检索记录", en: "2. Search records" },
  qTender: { zh: "招标项目编号", en: "Tender code" },
  qParty: { zh: "当事人（提交方名称或地址片段）", en: "Party (actor name or address fragment)" },
  qSha: { zh: "SHA-256 摘要", en: "SHA-256 digest" },
  qSince: { zh: "自（UTC，含）", en: "Since (UTC, inclusive)" },
  qUntil: { zh: "至（UTC，不含）", en: "Until (UTC, exclusive)" },
  searchGo: { zh: "检索", en: "Search" },
  found: { zh: "找到 {0} 条记录；本次检索已存证为记录 #{1}。", en: "{0} records found; this search was recorded as record #{1}." },
  thIndex: { zh: "序号", en: "#" },
  thKind: { zh: "类型", en: "Kind" },
  thSubject: { zh: "事项", en: "Subject" },
  thActor: { zh: "提交方", en: "Actor" },
  thTime: { zh: "提交时间（运营方时钟）", en: "Submitted (operator's clock)" },
  packageH: { zh: "3. 取证包", en: "3. Evidence package" },
  pSubject: { zh: "取证事项（如 tender:GC-2026-0417、record:12 或 sha256:…）", en: "Subject (e.g. tender:GC-2026-0417, record:12 or sha256:…)" },
  pGo: { zh: "申请、下载并核验", en: "Request, download and verify" },
  pSave: { zh: "保存取证包（.zip）", en: "Save the package (.zip)" },
  working: { zh: "正在生成、下载并核验…", en: "Building, downloading and verifying…" },
  pkgVerified: { zh: "取证包已验证：{0} 条记录，全部在链上锚定的日志中。", en: "Package verified: {0} records, all in the log anchored on chain." },
  pkgFailed: { zh: "取证包验证失败：{0}", en: "Package verification FAILED: {0}" },
  pkgUnpinned: { zh: "取证包与自身一致，但未固定信任策略或未读取区块链：这只是运营方的说法。", en: "The package is consistent with itself, but no trust policy is pinned or the chain was not read: the operator's word only." },
  pkgMeta: { zh: "取证包 SHA-256 {0}，{1} 字节；申请已存证为记录 #{2}", en: "Package SHA-256 {0}, {1} bytes; the request was recorded as record #{2}" },
  needToken: { zh: "需要令牌：请先填写法院或监管令牌", en: "A token is needed: enter the court or regulator token first" },
  toVerify: { zh: "公开验证页", en: "Public verification page" },
  apiDocs: { zh: "API 文档", en: "API reference" },
};

const $ = (id) => document.getElementById(id);
const t = translator(S);
let rerender = () => {};
const policy = pinnedPolicy();
setupLanguage(S, () => {
  showPolicyStatus($("policy-status"), t, policy);
  rerender();
});

const tokenInput = $("token");
tokenInput.value = sessionStorage.getItem("cw.court.token") ?? "";
tokenInput.addEventListener("change", () => sessionStorage.setItem("cw.court.token", tokenInput.value.trim()));
function token() {
  const value = tokenInput.value.trim();
  if (!value) throw new Error(t("needToken"));
  return value;
}

$("search-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("search-error").textContent = "";
  const q = new URLSearchParams();
  for (const [key, id] of [["tender", "q-tender"], ["party", "q-party"], ["sha256", "q-sha256"], ["since", "q-since"], ["until", "q-until"]]) {
    const v = $(id).value.trim();
    if (v) q.set(key, v);
  }
  try {
    const body = await (await api(`/v1/court/records?${q}`, token())).json();
    const rows = el("tbody");
    for (const r of body.records) {
      rows.append(el("tr", { class: "found" }, el("td", { text: String(r.index) }), el("td", { text: r.record.kind }),
        el("td", { text: r.record.subject }), el("td", { text: r.record.actor }), el("td", { text: r.record.submitted_at })));
    }
    const head = el("tr", {}, ...["thIndex", "thKind", "thSubject", "thActor", "thTime"].map((k) => el("th", { scope: "col", text: t(k) })));
    $("search-result").replaceChildren(el("p", { id: "found", text: t("found", body.records.length, body.custody_record?.index ?? body.custody_record) }),
      el("table", {}, el("thead", {}, head), rows));
    const tender = $("q-tender").value.trim();
    if (tender && !$("p-subject").value) $("p-subject").value = `tender:${tender}`;
  } catch (e) {
    $("search-error").textContent = e.message;
  }
});

$("p-go").addEventListener("click", async () => {
  $("package-error").textContent = "";
  const subject = $("p-subject").value.trim();
  const verdict = $("verdict");
  verdict.hidden = false;
  verdict.dataset.verdict = "working";
  verdict.textContent = t("working");
  document.body.dataset.state = "working";
  try {
    const tk = token();
    const made = await (await api("/v1/court/packages", tk, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ subject }),
    })).json();
    const blob = await (await api(made.download, tk)).blob();
    const digest = cw.toHex(await cw.sha256Blob(blob));
    if (digest !== made.sha256) throw new Error(`package: expected SHA-256 ${made.sha256} as announced, found ${digest}`);
    const result = await cw.verifyPackage(blob, { policy, rpc: await chainReader(), now: Math.floor(Date.now() / 1000) });
    const save = $("p-save");
    save.href = URL.createObjectURL(blob);
    save.download = `evidence-${made.sha256.slice(0, 16)}.zip`;
    save.hidden = false;
    rerender = () => {
      verdict.dataset.verdict = result.verdict;
      const failed = result.checks.filter((c) => c.ok === false).map((c) => t(`check.${c.id}`)).join("、");
      verdict.textContent = result.verdict === "verified" ? t("pkgVerified", result.records.length)
        : result.verdict === "failed" ? t("pkgFailed", failed) : t("pkgUnpinned");
      $("package-meta").textContent = t("pkgMeta", made.sha256, made.size, made.custody_record?.index ?? made.custody_record);
      $("package-result").replaceChildren(
        facts([[t("thSubject"), result.manifest?.subject], [t("thTime"), result.manifest?.created_at]]),
        checksTable(t, result.checks));
    };
    rerender();
  } catch (e) {
    verdict.dataset.verdict = "failed";
    verdict.textContent = e.message;
    $("package-error").textContent = e.message;
  }
  document.body.dataset.state = "done";
});
document.body.dataset.ready = "true";
