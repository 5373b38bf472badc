// The regulator dashboard (行业监督): a tender's lifecycle with every step's evidence
// record verified here (proof, checkpoint, cosignatures, anchor, chain) against the
// policy pinned on /verify; the supervision alerts; and the custody audit (who
// retrieved what, when), read with the regulator's token.

import * as cw from "./chainwitness.js";
import { setupLanguage, translator } from "./i18n.js";
import { api, chainReader, CHECK_STRINGS, checksTable, el, facts, pinnedPolicy, showPolicyStatus } from "./ui.js";

const S = {
  ...CHECK_STRINGS,
  title: { zh: "链见证 · 行业监督", en: "Chain Witness · regulator" },
  skip: { zh: "跳到正文", en: "Skip to content" },
  lead: {
    zh: "查看招标项目的全流程：每一步的存证记录都在本浏览器中按固定的信任策略核验证明；预警与调取审计。",
    en: "A tender's whole process: every step's evidence record has its proof verified in this browser against the pinned trust policy; alerts and the custody audit.",
  },
  tokenH: { zh: "1. 访问令牌", en: "1. Access token" },
  tokenLabel: { zh: "监管令牌（只保存在本标签页）", en: "Regulator token (kept in this tab only)" },
  policyNone: { zh: "未固定信任策略：请先在公开验证页载入信任策略，否则核验结果只是运营方的说法。", en: "No trust policy pinned: load it on the verification page first, or the results are only the operator's word." },
  policyPinned: { zh: "已固定信任策略 {0}", en: "Trust policy pinned: {0}" },
  tenderH: { zh: "2. 招标项目与全流程", en: "2. Tender and its lifecycle" },
  codeLabel: { zh: "招标项目编号", en: "Tender code" },
  codeGo: { zh: "查看并核验每一步", en: "Show and verify every step" },
  working: { zh: "正在核验每一步的证明…", en: "Verifying every step's proof…" },
  allVerified: { zh: "全部 {0} 个步骤的存证记录已验证（固定见证方联署，链上锚定已核对）。", en: "All {0} steps' evidence records verified (pinned witnesses cosigned, the chain anchor checked)." },
  someFailed: { zh: "有 {0} 个步骤的证明未通过核验：不要相信这些记录。", en: "{0} step(s) failed verification: do not rely on those records." },
  unpinned: { zh: "各步骤与自身一致，但未固定信任策略或未读取区块链：这只是运营方的说法。", en: "The steps are consistent with themselves, but no trust policy is pinned or the chain was not read: the operator's word only." },
  fTitle: { zh: "名称", en: "Title" },
  fState: { zh: "当前状态", en: "State" },
  fDeadline: { zh: "投标截止（链上时间）", en: "Bid deadline (chain time)" },
  fOpening: { zh: "开标时间", en: "Opening time" },
  thSeq: { zh: "#", en: "#" },
  thEvent: { zh: "步骤", en: "Step" },
  thStateAfter: { zh: "之后状态", en: "State after" },
  thChainTime: { zh: "链上时间", en: "Chain time" },
  thRecord: { zh: "记录", en: "Record" },
  thProof: { zh: "证明", en: "Proof" },
  stepDetails: { zh: "步骤 {0} 的核验细节（记录 #{1}）", en: "Checks of step {0} (record #{1})" },
  alertsH: { zh: "3. 预警", en: "3. Alerts" },
  alertsNone: { zh: "没有预警。", en: "No alerts." },
  thSeverity: { zh: "级别", en: "Severity" },
  thScore: { zh: "分值", en: "Score" },
  thText: { zh: "说明", en: "Finding" },
  custodyH: { zh: "4. 调取审计（谁在何时调取了什么）", en: "4. Custody audit (who retrieved what, when)" },
  custodyGo: { zh: "列出保管链记录", en: "List custody records" },
  custodyCount: { zh: "{0} 条保管链记录（本次查询本身也已存证为记录 #{1}）", en: "{0} custody records (this query itself was recorded as record #{1})" },
  thWho: { zh: "调取方", en: "Who" },
  thAction: { zh: "动作", en: "Action" },
  thWhat: { zh: "内容", en: "What" },
  thWhen: { zh: "时间（运营方时钟）", en: "When (operator's clock)" },
  needToken: { zh: "需要令牌：请先填写监管令牌", en: "A token is needed: enter the regulator token first" },
  toVerify: { zh: "公开验证页", en: "Public verification page" },
  toCourt: { zh: "司法取证页", en: "Court retrieval page" },
  apiDocs: { zh: "API 文档", en: "API reference" },
};

const $ = (id) => document.getElementById(id);
const t = translator(S);
const renders = [];
const policy = pinnedPolicy();
setupLanguage(S, () => {
  showPolicyStatus($("policy-status"), t, policy);
  for (const r of renders) r();
});
const keep = (render) => {
  renders.push(render);
  render();
};

const tokenInput = $("token");
tokenInput.value = sessionStorage.getItem("cw.regulator.token") ?? "";
tokenInput.addEventListener("change", () => sessionStorage.setItem("cw.regulator.token", tokenInput.value.trim()));
function token() {
  const value = tokenInput.value.trim();
  if (!value) throw new Error(t("needToken"));
  return value;
}
const iso = (s) => (s ? new Date(s * 1000).toISOString().replace(".000Z", "Z") : "");
const table = (heads, rows) => el("table", {}, el("thead", {}, el("tr", {}, ...heads.map((h) => el("th", { scope: "col", text: t(h) })))), el("tbody", {}, ...rows));

async function showTender(code) {
  const tk = token();
  const verdict = $("verdict");
  verdict.hidden = false;
  verdict.dataset.verdict = "working";
  verdict.textContent = t("working");
  document.body.dataset.state = "working";
  const view = await (await api(`/v1/tenders/${encodeURIComponent(code)}`, tk)).json();
  const rpc = await chainReader();
  const now = Math.floor(Date.now() / 1000);
  const steps = [];
  for (const e of view.events) {
    const answer = await (await api(`/v1/records/${e.record_index}`, tk)).json();
    steps.push({ event: e, result: await cw.verifyProofAnswer(answer, { policy, rpc, now }) });
  }
  keep(() => {
    const failed = steps.filter((s) => s.result.verdict === "failed").length;
    const all = steps.length && steps.every((s) => s.result.verdict === "verified");
    verdict.dataset.verdict = failed ? "failed" : all ? "verified" : "unpinned";
    verdict.textContent = failed ? t("someFailed", failed) : all ? t("allVerified", steps.length) : t("unpinned");
    const rows = steps.map(({ event, result }) => el("tr", { class: "step", "data-event": event.event, "data-verdict": result.verdict },
      el("td", { text: String(event.seq) }), el("td", { text: event.event }), el("td", { text: event.state_after }),
      el("td", { text: iso(event.chain_time) }), el("td", { text: `#${event.record_index}` }),
      el("td", { class: "status", text: t(result.verdict === "verified" ? "ok" : result.verdict === "failed" ? "bad" : "skipped") })));
    const details = steps.map(({ event, result }) => el("details", { class: "step-details" },
      el("summary", { text: t("stepDetails", event.seq, event.record_index) }), checksTable(t, result.checks)));
    $("tender-result").replaceChildren(
      facts([[t("fTitle"), view.title], [t("fState"), view.state], [t("fDeadline"), iso(view.bid_deadline)], [t("fOpening"), iso(view.opening_time)]]),
      table(["thSeq", "thEvent", "thStateAfter", "thChainTime", "thRecord", "thProof"], rows), ...details);
  });
  const alerts = (await (await api(`/v1/supervision/alerts?tender=${encodeURIComponent(code)}`, tk)).json()).alerts;
  keep(() => {
    if (!alerts.length) return $("alerts-result").replaceChildren(el("p", { id: "alerts-none", text: t("alertsNone") }));
    const lang = document.documentElement.lang === "en" ? "en" : "zh";
    $("alerts-result").replaceChildren(table(["thRecord", "thSeverity", "thScore", "thText"], alerts.map((a) =>
      el("tr", { class: "alert" }, el("td", { text: `#${a.record_index}` }), el("td", { text: a.severity ?? "" }),
        el("td", { text: String(a.score ?? "") }), el("td", { text: a[lang] ?? "" })))));
  });
  document.body.dataset.state = "done";
}

$("tender-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("tender-error").textContent = "";
  try {
    await showTender($("code").value.trim());
  } catch (e) {
    $("tender-error").textContent = e.message;
    $("verdict").hidden = true;
    document.body.dataset.state = "done";
  }
});

$("custody-go").addEventListener("click", async () => {
  try {
    const body = await (await api("/v1/court/records?since=1970-01-01&limit=1000", token())).json();
    const custody = body.records.filter((r) => r.record.kind.startsWith("custody."));
    keep(() => {
      $("custody-result").replaceChildren(el("p", { id: "custody-count", text: t("custodyCount", custody.length, body.custody_record) }),
        table(["thRecord", "thWho", "thAction", "thWhat", "thWhen"], custody.map((r) => el("tr", { class: "custody" },
          el("td", { text: `#${r.index}` }), el("td", { text: r.record.actor }), el("td", { text: r.record.kind.slice(8) }),
          el("td", { class: "detail", text: JSON.stringify(r.record.metadata) }), el("td", { text: r.record.submitted_at })))));
    });
  } catch (e) {
    $("custody-result").replaceChildren(el("p", { class: "error", role: "alert", text: e.message }));
  }
});
document.body.dataset.ready = "true";
