// DOM helpers. Every piece of user content goes in as a text node (textContent), never as
// HTML: nothing in the client assigns markup strings (a test checks every file).
import { t } from '../i18n/index.js';

/**
 * Builds an element. `attrs`: `class`, `text`, `on: {event: fn}`, `aria-*`, `data-*` and
 * any other attribute (set with setAttribute, so never parsed as HTML). Children: nodes,
 * strings (text nodes), null/false (skipped) or arrays of those.
 * @param {string} tag @param {Object<string, any>} [attrs] @param {...any} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'selected' || k === 'hidden') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A labelled input: `<label>text <input></label>`; returns [label, input]. */
export function field(label, attrs = {}) {
  const input = h(attrs.multiline ? 'textarea' : 'input', { ...attrs, multiline: null });
  return [h('label', { class: 'field' }, h('span', { text: label }), input), input];
}

/** A button with an accessible label. */
export function button(label, onClick, attrs = {}) {
  return h('button', { type: 'button', ...attrs, on: { click: onClick } }, label);
}

/** A user's display name: remark, else nickname, else username. */
export function displayName(user, remark) {
  if (!user) return '…';
  return remark || user.nickname || user.username || user.id;
}

/** Shows a short message at the bottom of the screen (announced to screen readers). */
export function toast(message, kind = 'info') {
  const host = document.getElementById('toasts');
  if (!host) return;
  if (kind === 'error') console.warn(`confab: ${message}`);
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  host.appendChild(el);
  setTimeout(() => el.remove(), 4000);
}

/** Runs `fn`, showing an error toast (translated by its code) when it throws. */
export async function guard(fn) {
  try {
    return await fn();
  } catch (e) {
    toast(errorText(e), 'error');
    return undefined;
  }
}

/** A readable text for an API error. */
export function errorText(e) {
  const key = `error.${e?.code}`;
  const text = t(key);
  return text === key ? (e?.message || t('error.generic')) : text;
}

/** "12:04" today, else a short date. */
export function shortTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return d.toLocaleDateString();
}

/** An avatar: the image when there is one, else the first letter. */
export function avatar(client, user, size = 'md') {
  const el = h('span', { class: `avatar ${size}`, 'aria-hidden': 'true' }, (displayName(user)[0] ?? '?').toUpperCase());
  if (user?.avatar) {
    client.fileUrl(user.avatar, 'thumbnail').then((url) => {
      mount(el, h('img', { src: url, alt: '' }));
    }).catch(() => {});
  }
  return el;
}

/** A modal dialog with a title and content; resolves when closed. */
export function dialog(title, content, actions = []) {
  return new Promise((resolve) => {
    const close = (v) => { d.close(); d.remove(); resolve(v); };
    const d = h('dialog', { 'aria-label': title },
      h('h2', { text: title }), content,
      h('div', { class: 'actions' },
        actions.map(([label, value, attrs]) => button(label, () => close(typeof value === 'function' ? value() : value), attrs)),
        button(t('common.close'), () => close(null))));
    d.addEventListener('cancel', () => resolve(null));
    document.body.appendChild(d);
    d.showModal();
  });
}
