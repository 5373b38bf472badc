// Chinese first, English on request: the pages' one language switch, remembered in
// localStorage. Each page passes its own strings { key: { zh, en } }; elements with
// data-i18n="key" get the text of the current language.

const STORE = "cw.lang";

export function currentLang() {
  return localStorage.getItem(STORE) === "en" ? "en" : "zh";
}

/** t(key, ...args): the string in the current language, `{0}`, `{1}` filled in. */
export function translator(strings) {
  return (key, ...args) => {
    const entry = strings[key];
    const text = entry ? entry[currentLang()] ?? entry.zh : key;
    return text.replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)] ?? ""));
  };
}

/** Apply the language to the document and wire the toggle button `#lang`. */
export function setupLanguage(strings, onChange = () => {}) {
  const t = translator(strings);
  const apply = () => {
    const lang = currentLang();
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    const button = document.getElementById("lang");
    if (button) {
      button.textContent = lang === "en" ? "中文" : "English";
      button.lang = lang === "en" ? "zh-CN" : "en";
    }
    if (strings.title) document.title = t("title") + (lang === "en" ? "" : " | Chain Witness");
    onChange(lang);
  };
  document.getElementById("lang")?.addEventListener("click", () => {
    localStorage.setItem(STORE, currentLang() === "en" ? "zh" : "en");
    apply();
  });
  apply();
  return t;
}
