// One message in a chat: its body by kind, the reply it quotes, reactions, and its actions.
import { h, button, displayName, shortTime, guard, dialog } from './dom.js';
import { t } from '../i18n/index.js';
import { client, app, user } from './state.js';

export const EMOJIS = ['👍', '❤️', '😂', '😮', '🎉'];

/** reactions by "conv:seq" → Map(user id → emoji) */
export const reactions = new Map();

/** A one-line preview of a message (for the chat list and reply quotes). */
export function preview(m) {
  if (!m) return '';
  if (m.recalled_at) return t('msg.recalled');
  switch (m.kind) {
    case 'text': return m.body?.text ?? '';
    case 'image': return t('msg.image');
    case 'video': return t('msg.video');
    case 'audio': return t('msg.audio');
    case 'file': return t('msg.file', { name: m.body?.file?.file_name ?? '' });
    case 'system': return systemText(m.body);
    case 'gift': return t('msg.gift', { name: m.body?.gift_name ?? '', count: m.body?.count ?? 1 });
    case 'call': {
      const o = m.body?.outcome;
      const key = `msg.call.${o}`;
      const text = t(key, { secs: m.body?.duration_secs ?? 0 });
      return text === key ? t('msg.call') : text;
    }
    default: return `[${m.kind}]`;
  }
}

function nameOf(id) {
  const u = app.users.get(id);
  return u ? displayName(u, app.friends.get(id)?.remark) : '…';
}

/** The text of a group system message, e.g. "bob was removed". */
export function systemText(body) {
  const ev = body?.event ?? 'unknown';
  const key = `sys.${ev}`;
  const s = t(key, { user: nameOf(body?.user_id), by: nameOf(body?.by), name: body?.name ?? '', role: body?.role ?? '' });
  return s === key ? t('sys.unknown') : s;
}

/**
 * Renders message `m` of conversation `conv` (kind `kind`). `ctx`: {onReply(m), rerender()}.
 * @returns {HTMLElement}
 */
export function renderMessage(m, kind, ctx) {
  const mine = m.sender_id === client.userId;
  if (m.kind === 'system') {
    return h('li', { class: 'msg system', 'data-seq': m.seq }, h('span', { text: systemText(m.body) }));
  }
  if (!app.users.has(m.sender_id)) user(m.sender_id).then(() => ctx.rerender());
  const body = h('div', { class: 'body' }, bodyOf(m));
  const quote = m.reply_to ? replyQuote(m.conversation_id, m.reply_to) : null;
  const meta = h('div', { class: 'meta' },
    h('time', { datetime: m.created_at, text: shortTime(m.created_at) }),
    m.edited_at && !m.recalled_at ? h('span', { class: 'edited', text: t('msg.edited') }) : null,
    mine && ctx.readBy?.(m) ? h('span', { class: 'read', 'data-testid': 'read-mark', text: ctx.readBy(m) }) : null);
  const reacts = reactionRow(m);
  const actions = m.recalled_at ? null : h('div', { class: 'actions', role: 'group', 'aria-label': t('msg.actions') },
    button(t('msg.reply'), () => ctx.onReply(m), { class: 'link' }),
    EMOJIS.slice(0, 3).map((e) => button(e, () => toggleReaction(m, e), { class: 'link', 'aria-label': t('msg.react', { emoji: e }) })),
    mine && m.kind === 'text' ? button(t('msg.edit'), () => editMessage(m), { class: 'link' }) : null,
    mine ? button(t('msg.recall'), () => guard(() => client.recall(m.conversation_id, m.seq)), { class: 'link' }) : null,
    mine && kind === 'group' ? button(t('msg.readers'), () => showReaders(m), { class: 'link' }) : null);
  return h('li', { class: `msg ${mine ? 'mine' : 'theirs'}`, 'data-seq': m.seq, 'data-id': m.id, tabindex: '0',
    'aria-label': t('msg.from', { name: mine ? t('msg.me') : nameOf(m.sender_id) }) },
    mine || kind === 'direct' ? null : h('div', { class: 'sender', text: nameOf(m.sender_id) }),
    quote, body, reacts, meta, actions);
}

function bodyOf(m) {
  if (m.recalled_at) return h('em', { text: t('msg.recalled') });
  const b = m.body ?? {};
  switch (m.kind) {
    case 'text': return h('p', { class: 'text', text: b.text ?? '' });
    case 'image': {
      const img = h('img', { class: 'image', alt: b.caption || t('msg.image'), 'data-file': b.file_id,
        width: b.file?.width ?? null, height: b.file?.height ?? null });
      client.fileUrl(b.file_id, 'thumbnail').then((u) => { img.src = u; }).catch(() => { img.alt = t('msg.imageMissing'); });
      // A photo that arrives at the bottom of the chat keeps the chat scrolled to the end.
      img.addEventListener('load', () => {
        const log = img.closest('.messages');
        if (log && log.scrollHeight - log.scrollTop - log.clientHeight < img.clientHeight + 80) log.scrollTop = log.scrollHeight;
      });
      return [img, b.caption ? h('p', { class: 'text', text: b.caption }) : null];
    }
    case 'file': case 'video': case 'audio': {
      const f = b.file ?? {};
      return button(`${f.file_name ?? t('msg.file', { name: '' })} (${size(f.size)})`, async () => {
        const url = await client.fileUrl(b.file_id);
        const a = h('a', { href: url, download: f.file_name ?? 'file' });
        document.body.appendChild(a); a.click(); a.remove();
      }, { class: 'file' });
    }
    case 'gift': return h('p', { class: 'gift', text: `🎁 ${preview(m)}` });
    default: return h('p', { class: 'text', text: preview(m) });
  }
}

function size(n) {
  if (!n) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1048576).toFixed(1)} MB`;
}

function replyQuote(conv, seq) {
  const q = client.messages.get(conv, seq);
  return h('blockquote', { class: 'quote' }, q ? `${nameOf(q.sender_id)}: ${preview(q)}` : t('msg.quoteMissing'));
}

function reactionRow(m) {
  const map = reactions.get(`${m.conversation_id}:${m.seq}`);
  if (!map || map.size === 0) return null;
  const counts = new Map();
  for (const e of map.values()) counts.set(e, (counts.get(e) ?? 0) + 1);
  return h('div', { class: 'reactions' }, [...counts].map(([e, n]) => h('span', { class: 'reaction', text: `${e} ${n}` })));
}

/** Applies a `reaction` event (or my own change) to the local table. */
export function applyReaction(d) {
  const key = `${d.conversation_id}:${d.seq}`;
  if (!reactions.has(key)) reactions.set(key, new Map());
  if (d.emoji) reactions.get(key).set(d.user_id, d.emoji);
  else reactions.get(key).delete(d.user_id);
}

/** Loads the reactions of one message (after opening a chat). */
export async function loadReactions(conv, seq) {
  const out = await client.get(`/conversations/${conv}/messages/${seq}/reactions`);
  const map = new Map();
  for (const r of out.reactions ?? []) for (const u of r.user_ids ?? []) map.set(u, r.emoji);
  reactions.set(`${conv}:${seq}`, map);
}

async function toggleReaction(m, emoji) {
  const mineNow = reactions.get(`${m.conversation_id}:${m.seq}`)?.get(client.userId);
  await guard(async () => {
    if (mineNow === emoji) await client.unreact(m.conversation_id, m.seq, emoji);
    else await client.react(m.conversation_id, m.seq, emoji);
  });
}

async function editMessage(m) {
  const input = h('textarea', { 'aria-label': t('msg.edit'), value: m.body?.text ?? '' });
  const text = await dialog(t('msg.edit'), input, [[t('common.save'), () => input.value]]);
  if (text && text !== m.body?.text) await guard(() => client.edit(m.conversation_id, m.seq, { text }));
}

async function showReaders(m) {
  const out = await guard(() => client.get(`/conversations/${m.conversation_id}/messages/${m.seq}/readers`));
  if (!out) return;
  const names = await Promise.all((out.readers ?? []).map(async (r) => displayName(await user(r.user_id ?? r))));
  await dialog(t('msg.readBy', { n: out.count, total: out.total }), h('ul', {}, names.map((n) => h('li', { text: n }))));
}
