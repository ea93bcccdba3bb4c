// Translation lookup. English is the source (en.js); a language is one more file with the
// same keys (zh-CN.js). The language is the saved choice, else the browser's.
import en from './en.js';
import zhCN from './zh-CN.js';

/** The languages shipped, by BCP 47 tag. */
export const LANGUAGES = { en, 'zh-CN': zhCN };

let current = pick();

function pick() {
  let saved = null;
  try { saved = localStorage.getItem('confab.lang'); } catch { /* no storage */ }
  if (saved && LANGUAGES[saved]) return saved;
  const nav = globalThis.navigator?.language ?? 'en';
  return nav.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

/** The current language tag. */
export function lang() {
  return current;
}

/** Switches language (saved; the app re-renders). */
export function setLang(tag) {
  if (!LANGUAGES[tag]) return;
  current = tag;
  try { localStorage.setItem('confab.lang', tag); } catch { /* no storage */ }
  document.documentElement.lang = tag;
}

/**
 * The text for `key` in the current language (English as the fallback, the key itself when
 * missing), with `{name}` placeholders filled from `vars`.
 * @param {string} key @param {Object<string, any>} [vars]
 */
export function t(key, vars) {
  let s = LANGUAGES[current]?.[key] ?? en[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}
