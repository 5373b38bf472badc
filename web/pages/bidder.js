// The bidder page (投标人): the bidder's own secp256k1 key stays in this page (from
// their keystore file or pasted hex; never stored, never sent). Before sealing, the
// tender's opening key is checked on the chain the bidder reads, against the trust
// policy pinned on /verify; the document is sealed here (docs/sealed-envelope.md),
// the SealedBid is signed by the per-tender pseudonym and the Bid by the bidder's own
// key (EIP-712), and only the envelope is uploaded.

import * as cw from "./chainwitness.js";
import { setupLanguage, translator } from "./i18n.js";
import { api, chainReader, downloadLink, el, facts, KEY_STRINGS, ownKey, pinnedPolicy, showPolicyStatus } from "./ui.js";

const S = {
  ...KEY_STRINGS,
  title: { zh: "链见证 · 投标人", en: "Chain Witness · bidder" },
  skip: { zh: "跳到正文", en: "Skip to content" },
  lead: {
    zh: "在本浏览器中封装投标文件：您的私钥不离开本页；封装前先按固定的信任策略在区块链上核对招标密钥；只有密文上传。",
    en: "Seal your bid in this browser: your private key never leaves this page; the tender key is checked on the chain against the pinned trust policy before sealing; only ciphertext is uploaded.",
  },
  keyH: { zh: "1. 您的密钥与令牌", en: "1. Your key and token" },
  keyLoading: { zh: "正在解密密钥文件…", en: "Decrypting the keystore…" },
  fAddress: { zh: "投标人地址", en: "Bidder address" },
  fPublicKey: { zh: "投标人公钥（交给交易中心登记）", en: "Bidder public key (for the centre's registration)" },
  fPseudonym: { zh: "本项目的化名地址（交给交易中心登记）", en: "Pseudonym for this tender (for the centre's registration)" },
  tokenLabel: { zh: "投标人令牌（只保存在本标签页）", en: "Bidder token (kept in this tab only)" },
  policyNone: { zh: "未固定信任策略：请先在公开验证页载入信任策略；没有它本页拒绝封装。", en: "No trust policy pinned: load it on the verification page first; without it this page refuses to seal." },
  policyPinned: { zh: "已固定信任策略 {0}", en: "Trust policy pinned: {0}" },
  tenderH: { zh: "2. 招标项目与招标密钥（在链上核对）", en: "2. Tender and its key (checked on chain)" },
  codeLabel: { zh: "招标项目编号", en: "Tender code" },
  codeGo: { zh: "读取并核对招标密钥", en: "Read and check the tender key" },
  checking: { zh: "正在链上核对招标密钥…", en: "Checking the tender key on chain…" },
  keyChecked: { zh: "招标密钥已在链上核对：与托管方在 TenderRegistry 上批准的开标公钥一致。", en: "Tender key checked on chain: it is the opening key the custodians approved in TenderRegistry." },
  refused: { zh: "拒绝封装：{0}", en: "Refusing to seal: {0}" },
  noPolicy: { zh: "未固定信任策略，无法在链上核对招标密钥", en: "no trust policy is pinned, so the tender key cannot be checked on chain" },
  noChain: { zh: "没有可读取的区块链节点", en: "no chain endpoint to read" },
  fTitle: { zh: "名称", en: "Title" },
  fState: { zh: "状态（运营方）", en: "State (operator's)" },
  fChainStatus: { zh: "链上状态", en: "Status on chain" },
  fDeadline: { zh: "投标截止（链上时间）", en: "Bid deadline (chain time)" },
  fChainTime: { zh: "当前链上时间", en: "Chain time now" },
  fKey: { zh: "开标公钥", en: "Opening key" },
  fRegistry: { zh: "TenderRegistry 合约", en: "TenderRegistry contract" },
  bidH: { zh: "3. 封装并提交投标文件", en: "3. Seal and submit your bid" },
  fileLabel: { zh: "选择或拖入投标文件", en: "Choose or drop your bid document" },
  fileChosen: { zh: "{0}（{1} 字节）", en: "{0} ({1} bytes)" },
  sealGo: { zh: "封装、签名并提交", en: "Seal, sign and submit" },
  progressLabel: { zh: "封装进度", en: "Sealing progress" },
  needKey: { zh: "请先载入您的密钥", en: "Load your key first" },
  needFile: { zh: "请先选择投标文件", en: "Choose the bid document first" },
  needToken: { zh: "需要令牌：请先填写投标人令牌", en: "A token is needed: enter the bidder token first" },
  needTender: { zh: "请先填写招标项目编号", en: "Enter the tender code first" },
  sealing: { zh: "正在封装…", en: "Sealing…" },
  uploading: { zh: "正在签名并上传密文…", en: "Signing and uploading the ciphertext…" },
  submitted: { zh: "投标已提交：第 {0} 次提交，存证记录 #{1}。", en: "Bid submitted: submission {0}, evidence record #{1}." },
  fNonce: { zh: "提交序号", en: "Submission (nonce)" },
  fCipher: { zh: "密文 SHA-256", en: "Ciphertext SHA-256" },
  fCommitment: { zh: "明文承诺", en: "Plaintext commitment" },
  fRecord: { zh: "存证记录", en: "Evidence record" },
  fTx: { zh: "链上交易", en: "Chain transaction" },
  receiptSave: { zh: "下载回执（JSON）", en: "Download the receipt (JSON)" },
  sealedSave: { zh: "保存密封件副本（.cwseal）", en: "Save a copy of the sealed file (.cwseal)" },
  mineH: { zh: "4. 我的投标及其状态", en: "4. My bids and their status" },
  mineGo: { zh: "列出我的投标", en: "List my bids" },
  mineNone: { zh: "本项目中还没有您的投标。", en: "No bid of yours in this tender yet." },
  thNonce: { zh: "序号", en: "Nonce" },
  thStatus: { zh: "状态", en: "Status" },
  thCipher: { zh: "密文 SHA-256", en: "Ciphertext SHA-256" },
  thSize: { zh: "字节", en: "Bytes" },
  thRecord: { zh: "记录", en: "Record" },
  thTime: { zh: "链上时间", en: "Chain time" },
  ownH: { zh: "5. 开标后打开自己的投标", en: "5. Open your own bid after opening" },
  ownLabel: { zh: "密封件（.cwseal），用您自己的密钥打开", en: "Sealed file (.cwseal), opened with your own key" },
  ownOpened: { zh: "已用您的密钥打开：{0} 字节，SHA-256 {1}。", en: "Opened with your key: {0} bytes, SHA-256 {1}." },
  ownMatches: { zh: "明文承诺与您第 {0} 次提交一致。", en: "The plaintext commitment matches your submission {0}." },
  ownSave: { zh: "保存打开的投标文件", en: "Save the opened document" },
  toVerify: { zh: "公开验证页", en: "Public verification page" },
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
const keep = (id, render) => {
  renders.push(render);
  render();
};
const iso = (s) => (s ? new Date(s * 1000).toISOString().replace(".000Z", "Z") : "");
const hex = cw.toHex;

let me = null; // { secret, publicKey, address }: in this page's memory only
let chosen = null; // the bid document (a File)
let lastBids = [];

const tokenInput = $("token");
tokenInput.value = sessionStorage.getItem("cw.bidder.token") ?? "";
tokenInput.addEventListener("change", () => sessionStorage.setItem("cw.bidder.token", tokenInput.value.trim()));
function token() {
  const value = tokenInput.value.trim();
  if (!value) throw new Error(t("needToken"));
  return value;
}
function code() {
  const value = $("code").value.trim();
  if (!value) throw new Error(t("needTender"));
  return value;
}
function showKey() {
  if (!me) return $("key-result").replaceChildren();
  const pairs = [[t("fAddress"), me.address, "mono"], [t("fPublicKey"), hex(me.publicKey), "mono"]];
  const c = $("code").value.trim();
  if (c) pairs.push([t("fPseudonym"), cw.accountOf(cw.pseudonymSecret(me.secret, cw.tenderIdBytes(c))).address, "mono"]);
  $("key-result").replaceChildren(facts(pairs));
  $("key-result").dataset.address = me.address;
}
renders.push(showKey);

$("key-go").addEventListener("click", async () => {
  $("key-error").textContent = "";
  try {
    $("key-result").replaceChildren(el("p", { class: "meta", text: t("keyLoading") }));
    me = await ownKey({ file: $("keystore"), password: $("keystore-password"), hex: $("secret-hex"), none: t("keyNone") });
    showKey();
  } catch (e) {
    me = null;
    $("key-result").replaceChildren();
    $("key-error").textContent = e.message;
  }
});
$("code").addEventListener("input", showKey); // not "change": a layout shift under a click

/** The tender's key, checked on chain; throws VerificationFailed naming what differs. */
async function checkedTender(c) {
  const view = await (await fetch(`/v1/tenders/${encodeURIComponent(c)}`).then(async (r) => {
    if (!r.ok) throw new Error(`${r.status}: ${(await r.json().catch(() => null))?.detail ?? c}`);
    return r;
  })).json();
  if (!policy) throw new cw.VerificationFailed(t("noPolicy"));
  const rpc = await chainReader();
  if (!rpc) throw new cw.ChainUnavailable(t("noChain"));
  const claimed = view.opening_public_key ? cw.fromHex(view.opening_public_key, { name: "opening_public_key", anyCase: true }) : null;
  const checked = await cw.checkTenderKey({
    policy, rpc, tenderCode: c, tenderId: cw.tenderIdBytes(c), claimedKey: claimed,
    claimedRegistry: view.chain?.tender_registry,
  });
  return { ...checked, view, rpc, code: c };
}

function showTenderStatus(state, text) {
  const status = $("tender-status");
  status.hidden = false;
  status.dataset.state = state;
  status.dataset.verdict = state === "checked" ? "verified" : state === "refused" ? "failed" : "unpinned";
  status.textContent = text;
}

async function checkTender() {
  const c = code();
  showTenderStatus("working", t("checking"));
  document.body.dataset.state = "working";
  try {
    const checked = await checkedTender(c);
    keep("tender", () => {
      showTenderStatus("checked", t("keyChecked"));
      $("tender-result").replaceChildren(facts([
        [t("fTitle"), checked.view.title], [t("fState"), checked.view.state],
        [t("fChainStatus"), checked.tender.status], [t("fDeadline"), iso(checked.tender.bidDeadline)],
        [t("fChainTime"), iso(checked.chainTime)], [t("fKey"), hex(checked.key), "mono"],
        [t("fRegistry"), checked.registry, "mono"],
      ]));
    });
    return checked;
  } catch (e) {
    keep("tender", () => {
      $("tender-result").replaceChildren();
      showTenderStatus("refused", t("refused", e.message));
    });
    throw e;
  } finally {
    document.body.dataset.state = "done";
  }
}

$("tender-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    await checkTender();
    showKey();
  } catch {
    // shown in #tender-status
  }
});

function choose(file) {
  chosen = file ?? null;
  $("file-status").textContent = chosen ? t("fileChosen", chosen.name, chosen.size) : "";
}
$("bid-file").addEventListener("change", () => choose($("bid-file").files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (ev) => {
  ev.preventDefault();
  drop.classList.remove("over");
  choose(ev.dataTransfer.files[0]);
});

const link = (id, blob, name) => downloadLink($(id), blob, name);

async function sealAndSubmit() {
  if (!me) throw new Error(t("needKey"));
  if (!chosen) throw new Error(t("needFile"));
  const tk = token();
  const checked = await checkTender(); // checked again, right before sealing
  const { key, registry, rpc, code: c } = checked;
  const status = $("bid-status");
  status.hidden = false;
  status.dataset.verdict = "unpinned";
  status.textContent = t("sealing");
  const progress = $("seal-progress");
  progress.value = 0;
  const sink = cw.blobSink();
  const sealed = await cw.sealBlob(chosen, {
    tenderId: c, bidder: me.address, tenderPublicKey: key, bidderPublicKey: me.publicKey,
    write: sink.write,
    progress: (done, total) => {
      progress.value = total ? done / total : 1;
      $("seal-percent").textContent = `${Math.floor(100 * progress.value)}%`;
    },
  });
  progress.value = 1;
  $("seal-percent").textContent = "100%";
  const envelope = sink.blob();
  status.textContent = t("uploading");
  // the content key, unwrapped with our own key: proves the envelope opens for us
  const contentKey = await cw.unwrapKey(sealed.header, "bidder", me.secret);
  let nameSealed = null;
  try {
    nameSealed = await cw.sealFileName(contentKey, sealed.envelopeDigest, chosen.name);
  } catch (e) {
    if (!(e instanceof cw.MalformedInput)) throw e; // a name that is not a plain file name goes unsealed
  }
  const tid = cw.tenderIdBytes(c);
  const pseudonym = cw.accountOf(cw.pseudonymSecret(me.secret, tid));
  const nonce = (await cw.sealedBidNonce(rpc, registry, tid, pseudonym.address)) + 1;
  const salt = crypto.getRandomValues(new Uint8Array(32));
  const digests = {
    ciphertextDigest: sealed.ciphertextSha256, plaintextCommitment: sealed.plaintextCommitment,
    envelopeDigest: sealed.envelopeDigest,
  };
  const commitment = cw.sealedBidCommitment({ tenderId: tid, bidder: me.address, salt, ...digests });
  const chainId = policy.chainId;
  const sealedSig = cw.signTypedData(pseudonym.secret, cw.sealedBidTypedData({
    chainId, contract: registry, tenderId: tid, pseudonym: pseudonym.address, commitment, nonce }));
  const bidSig = cw.signTypedData(me.secret, cw.bidTypedData({
    chainId, contract: registry, tenderId: tid, bidder: me.address, pseudonym: pseudonym.address, ...digests }));
  const params = new URLSearchParams({
    bidder: me.address, pseudonym: pseudonym.address, nonce: String(nonce), salt: hex(salt),
    plaintext_commitment: hex(sealed.plaintextCommitment), envelope_digest: hex(sealed.envelopeDigest),
    sealed_signature: hex(sealedSig), bid_signature: hex(bidSig),
  });
  if (nameSealed) params.set("file_name_sealed", hex(nameSealed));
  const receipt = await (await api(`/v1/tenders/${encodeURIComponent(c)}/bids?${params}`, tk, {
    method: "POST", headers: { "content-type": "application/octet-stream" }, body: envelope,
  })).json();
  if (receipt.ciphertext_sha256 !== hex(sealed.ciphertextSha256)) {
    throw new cw.VerificationFailed(`receipt: expected ciphertext ${hex(sealed.ciphertextSha256)}, found ${receipt.ciphertext_sha256}`);
  }
  keep("bid", () => {
    status.dataset.verdict = "verified";
    status.textContent = t("submitted", receipt.nonce, receipt.record_index);
    $("bid-result").replaceChildren(facts([
      [t("fNonce"), String(receipt.nonce)], [t("fCipher"), receipt.ciphertext_sha256, "mono"],
      [t("fCommitment"), hex(sealed.plaintextCommitment), "mono"], [t("fRecord"), `#${receipt.record_index}`],
      [t("fTx"), receipt.tx_hash ?? "", "mono"],
    ]));
  });
  link("receipt-save", new Blob([`${JSON.stringify(receipt, null, 2)}\n`], { type: "application/json" }), `receipt-${c}-${receipt.nonce}.json`);
  link("sealed-save", envelope, `${chosen.name}.cwseal`);
  document.body.dataset.submitted = String(receipt.nonce);
}

$("seal-go").addEventListener("click", async () => {
  $("bid-error").textContent = "";
  document.body.dataset.state = "working";
  try {
    await sealAndSubmit();
  } catch (e) {
    $("bid-error").textContent = e.message;
    $("bid-status").hidden = true;
  } finally {
    document.body.dataset.state = "done";
  }
});

$("mine-go").addEventListener("click", async () => {
  $("mine-error").textContent = "";
  try {
    if (!me) throw new Error(t("needKey"));
    const c = code();
    lastBids = await (await api(`/v1/tenders/${encodeURIComponent(c)}/bids/${me.address}`, token())).json();
    keep("mine", () => {
      if (!lastBids.length) return $("mine-result").replaceChildren(el("p", { id: "mine-none", text: t("mineNone") }));
      const heads = ["thNonce", "thStatus", "thCipher", "thSize", "thRecord", "thTime"];
      $("mine-result").replaceChildren(el("table", {},
        el("thead", {}, el("tr", {}, ...heads.map((h) => el("th", { scope: "col", text: t(h) })))),
        el("tbody", {}, ...lastBids.map((b) => el("tr", { class: "mine", "data-status": b.status },
          el("td", { text: String(b.nonce) }), el("td", { text: b.status }), el("td", { class: "detail", text: b.ciphertext_sha256 }),
          el("td", { text: String(b.size ?? "") }), el("td", { text: b.record_index === null ? "" : `#${b.record_index}` }),
          el("td", { text: iso(b.block_time) }))))));
    });
  } catch (e) {
    $("mine-error").textContent = e.message;
  }
});

$("own-file").addEventListener("change", async () => {
  $("own-error").textContent = "";
  $("own-save").hidden = true;
  const file = $("own-file").files[0];
  if (!file) return;
  try {
    if (!me) throw new Error(t("needKey"));
    const { header } = await cw.readHeader(file);
    const contentKey = await cw.unwrapKey(header, "bidder", me.secret);
    const sink = cw.blobSink();
    const opened = await cw.openBlob(file, contentKey, { write: sink.write });
    const plain = sink.blob();
    const digest = hex(await cw.sha256Blob(plain));
    const match = lastBids.find((b) => b.plaintext_commitment === hex(opened.plaintextCommitment));
    keep("own", () => {
      $("own-result").replaceChildren(el("p", { id: "own-opened", text: t("ownOpened", opened.plaintextSize, digest) }),
        match ? el("p", { id: "own-match", text: t("ownMatches", match.nonce) }) : null);
    });
    link("own-save", plain, file.name.replace(/\.cwseal$/, "") || "bid.bin");
  } catch (e) {
    $("own-error").textContent = e.message;
  }
});

document.body.dataset.ready = "true";
