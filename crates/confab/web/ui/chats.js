// The conversation list (pinned first, unread badges, last-message preview) and the chat:
// history with scroll-back, real-time messages, the composer (text, files with progress,
// replies, mentions), typing, read marks.
import { h, mount, button, displayName, shortTime, guard, avatar, toast, errorText } from './dom.js';
import { t } from '../i18n/index.js';
import { client, app, changed, watch, user, remember, groupOf } from './state.js';
import { renderMessage, preview, applyReaction, loadReactions } from './message.js';
import { startCall } from './calls.js';

/** The peer's read mark per direct conversation (from `receipt` events). */
const peerRead = new Map();
/** Who is typing, per conversation: user id → until (ms). */
const typingNow = new Map();

/** Merges a sync answer into the list. */
export function onSynced(out) {
  for (const c of out.conversations) {
    if (c.peer) remember(c.peer);
    app.convs.set(c.id, c);
    if (c.kind === 'group') groupOf(c.id).then((g) => {
      if (!g || !g.my_role) { app.gone.add(c.id); } else app.gone.delete(c.id);
      changed('convs');
    });
  }
  app.totalUnread = out.total_unread;
  changed('convs');
  changed('badge');
}

function recount() {
  let n = 0;
  for (const c of app.convs.values()) if (!app.gone.has(c.id) && c.kind !== 'room') n += c.unread;
  app.totalUnread = n;
  changed('badge');
}

client.on('message', (m) => {
  let c = app.convs.get(m.conversation_id);
  if (!c && m.conversation_id !== app.world) {
    client.get(`/conversations/${m.conversation_id}`).then((conv) => {
      onSynced({ conversations: [conv], total_unread: app.totalUnread });
      recount();
    }).catch(() => {});
    return;
  }
  if (!c) return;
  if (m.seq > c.last_seq || (c.last_message && c.last_message.seq === m.seq)) {
    const fresh = m.seq > c.last_seq;
    c.last_seq = Math.max(c.last_seq, m.seq);
    c.last_message = m;
    c.last_message_at = m.created_at;
    if (fresh && m.sender_id !== client.userId && !(app.current === c.id && document.visibilityState === 'visible')) {
      c.unread = Math.max(0, c.last_seq - c.read_seq);
    }
    if (m.sender_id === client.userId) c.read_seq = Math.max(c.read_seq, m.seq);
    recount();
  }
  changed('convs');
});
client.on('receipt', (r) => {
  const c = app.convs.get(r.conversation_id);
  if (r.user_id === client.userId) {
    if (c) { c.read_seq = Math.max(c.read_seq, r.read_seq); c.unread = Math.max(0, c.last_seq - c.read_seq); recount(); changed('convs'); }
  } else {
    peerRead.set(r.conversation_id, Math.max(peerRead.get(r.conversation_id) ?? 0, r.read_seq));
    changed('chat');
  }
});
client.on('typing', (d) => {
  if (d.user_id === client.userId) return;
  if (!typingNow.has(d.conversation_id)) typingNow.set(d.conversation_id, new Map());
  typingNow.get(d.conversation_id).set(d.user_id, Date.now() + 4000);
  changed('typing');
  setTimeout(() => changed('typing'), 4100);
});
client.on('reaction', (d) => { applyReaction(d); changed('chat'); });
client.on('message.recalled', () => changed('chat'));
const leave = (d) => {
  if (d.user_id !== undefined && d.user_id !== client.userId) return;
  app.gone.add(d.conversation_id);
  app.convs.delete(d.conversation_id);
  if (app.current === d.conversation_id) app.current = null;
  recount();
  changed('convs');
  changed('closed');
};
client.on('group.member_kicked', leave);
client.on('group.member_left', leave);
client.on('group.dissolved', (d) => { const g = app.groups.get(d.conversation_id); if (g) g.dissolved = true; changed('chat'); });
client.on('group.updated', (d) => {
  const old = app.groups.get(d.group.conversation_id);
  app.groups.set(d.group.conversation_id, { ...d.group, my_role: old?.my_role ?? null });
  changed('convs');
});
client.on('group.member_updated', (d) => {
  const g = app.groups.get(d.conversation_id);
  if (g && d.user_id === client.userId) g.my_role = d.role;
});
client.on('group.member_joined', (d) => {
  if (d.user_id === client.userId) { app.gone.delete(d.conversation_id); app.groups.delete(d.conversation_id); client.sync().catch(() => {}); }
});

/** A conversation's title. */
export function titleOf(c) {
  if (c.id === app.world) return t('chats.world');
  if (c.kind === 'direct') return displayName(c.peer, app.friends.get(c.peer?.id)?.remark);
  if (c.kind === 'group') return app.groups.get(c.id)?.name ?? t('chats.group');
  return t(`chats.kind.${c.kind}`);
}

function sorted() {
  const list = [...app.convs.values()].filter((c) => !c.hidden && !app.gone.has(c.id) && c.kind !== 'room' && c.id !== app.world);
  list.sort((a, b) => (b.pinned - a.pinned) || String(b.last_message_at ?? '').localeCompare(String(a.last_message_at ?? '')));
  return list;
}

/** Opens a conversation (from other screens, e.g. a friend's profile). */
export function openConversation(show, id) {
  app.current = id;
  show('chats', id);
}

/** The chats screen: the list, and the open chat beside it (or instead of it on a phone). */
export function chatsScreen(main, { show, arg }) {
  if (arg) app.current = arg;
  const listEl = h('ul', { class: 'convs', 'aria-label': t('chats.list') });
  const chatEl = h('section', { class: 'chat', 'aria-label': t('chats.chat') });
  const layout = h('div', { class: 'split' }, h('aside', { class: 'list-pane' }, listEl), chatEl);
  mount(main, layout);
  let chat = null;

  const drawList = () => {
    const items = [];
    if (app.world) {
      items.push(h('li', {}, h('button', { type: 'button', class: `conv ${app.current === app.world ? 'active' : ''}`, 'data-conv': app.world,
        on: { click: () => open(app.world) } }, h('span', { class: 'avatar md', 'aria-hidden': 'true', text: '#' }),
      h('span', { class: 'conv-main' }, h('span', { class: 'title', text: t('chats.world') })))));
    }
    for (const c of sorted()) {
      const badge = c.unread > 0 ? h('span', { class: 'badge', 'data-testid': 'unread', 'aria-label': t('chats.unread', { n: c.unread }), text: String(c.unread) }) : null;
      items.push(h('li', {}, h('button', { type: 'button', class: `conv ${app.current === c.id ? 'active' : ''}`, 'data-conv': c.id, on: { click: () => open(c.id) } },
        avatar(client, c.kind === 'direct' ? c.peer : { nickname: titleOf(c) }),
        h('span', { class: 'conv-main' },
          h('span', { class: 'title' }, c.pinned ? h('span', { class: 'pin', 'aria-label': t('chats.pinned'), text: '📌 ' }) : null, titleOf(c)),
          h('span', { class: 'preview', text: preview(c.last_message) })),
        h('span', { class: 'conv-side' }, h('time', { text: shortTime(c.last_message_at) }), badge))));
    }
    if (items.length === 0) items.push(h('li', { class: 'empty', text: t('chats.empty') }));
    mount(listEl, items);
  };

  const open = (id) => {
    app.current = id;
    layout.classList.add('in-chat');
    chat?.close();
    chat = chatView(chatEl, id, () => { app.current = null; layout.classList.remove('in-chat'); chat?.close(); chat = null; mount(chatEl); drawList(); });
    drawList();
  };

  const offs = [watch('convs', drawList), watch('closed', () => { if (!app.current) { chat?.close(); chat = null; mount(chatEl, h('p', { class: 'empty', text: t('chats.removed') })); layout.classList.remove('in-chat'); } })];
  drawList();
  // On a phone the list comes first unless a chat was asked for.
  const phone = window.matchMedia('(max-width: 759px)').matches;
  if (app.current && (arg || !phone)) open(app.current);
  else mount(chatEl, h('p', { class: 'empty', text: t('chats.pick') }));
  return () => { offs.forEach((f) => f()); chat?.close(); };
}

/** The open chat. Returns {close}. */
function chatView(el, convId, back) {
  let conv = app.convs.get(convId) ?? { id: convId, kind: convId === app.world ? 'channel' : 'direct', last_seq: 0, read_seq: 0, unread: 0 };
  let replyTo = null;
  const log = h('ol', { class: 'messages', role: 'log', 'aria-live': 'polite', 'aria-label': t('chats.messages') });
  const typingEl = h('p', { class: 'typing', 'aria-live': 'polite' });
  const replyBar = h('div', { class: 'reply-bar', hidden: true });
  const progress = h('progress', { max: '1', value: '0', hidden: true, 'aria-label': t('chats.uploading') });
  const input = h('textarea', { rows: '1', 'aria-label': t('chats.compose'), placeholder: t('chats.compose'), maxlength: '4000' });
  const fileInput = h('input', { type: 'file', class: 'visually-hidden', 'aria-label': t('chats.attach'), tabindex: '-1' });
  const older = button(t('chats.older'), () => loadOlder(), { class: 'link older' });
  const title = h('h2', { text: titleOf(conv) });
  let lastTyping = 0;
  let hasMore = true;

  const send = async () => {
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    const extra = {};
    if (replyTo) extra.reply_to = replyTo.seq;
    const mentions = await mentionsIn(text);
    if (mentions.length) extra.mentions = mentions;
    setReply(null);
    try { await client.send(convId, 'text', { text }, extra); } catch (e) { toast(errorText(e), 'error'); input.value = text; }
  };
  const setReply = (m) => {
    replyTo = m;
    replyBar.hidden = !m;
    if (m) mount(replyBar, h('span', { text: t('chats.replyingTo', { text: preview(m) }) }), button(t('common.cancel'), () => setReply(null), { class: 'link' }));
    if (m) input.focus();
  };
  const mentionsIn = async (text) => {
    if (conv.kind !== 'group') return [];
    const names = [...text.matchAll(/@([a-z0-9_.]{3,32})/g)].map((x) => x[1]);
    if (!names.length) return [];
    const ids = [];
    for (const u of app.users.values()) if (names.includes(u.username)) ids.push(u.id);
    return ids;
  };
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files?.[0];
    fileInput.value = '';
    if (!file) return;
    const kind = file.type.startsWith('image/') ? 'image' : file.type.startsWith('video/') ? 'video' : file.type.startsWith('audio/') ? 'audio' : 'file';
    progress.hidden = false;
    progress.value = 0;
    try {
      const up = await client.upload(file, { kind, onProgress: (f) => { progress.value = f; } });
      await client.send(convId, kind, { file_id: up.id });
    } catch (e) { toast(errorText(e), 'error'); }
    progress.hidden = true;
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); send(); }
  });
  input.addEventListener('input', () => {
    if (Date.now() - lastTyping > 2000) { lastTyping = Date.now(); client.typing(convId); }
  });

  const readBy = (m) => {
    if (conv.kind !== 'direct') return null;
    return (peerRead.get(convId) ?? 0) >= m.seq ? t('msg.read') : null;
  };
  const draw = () => {
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    const msgs = client.messages.list(convId);
    mount(log, hasMore && msgs.length ? h('li', { class: 'older-row' }, older) : null,
      msgs.map((m) => renderMessage(m, conv.kind, { onReply: setReply, rerender: schedule, readBy })));
    if (atBottom) log.scrollTop = log.scrollHeight;
    markRead();
  };
  let pending = false;
  const schedule = () => { if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; draw(); }); } };
  const drawTyping = () => {
    const now = Date.now();
    const who = [...(typingNow.get(convId) ?? new Map())].filter(([, until]) => until > now).map(([id]) => displayName(app.users.get(id)));
    typingEl.textContent = who.length ? t('chats.typing', { names: who.join(', ') }) : '';
  };
  const markRead = () => {
    const last = client.messages.lastSeq(convId);
    if (document.visibilityState !== 'visible' || last === 0) return;
    const c = app.convs.get(convId);
    if (c && c.read_seq >= last) return;
    if (c) { c.read_seq = last; c.unread = 0; recount(); changed('convs'); }
    client.markRead(convId, last).catch(() => {});
  };
  const loadOlder = async () => {
    const first = client.messages.firstSeq(convId);
    const before = log.scrollHeight;
    const out = await guard(() => client.history(convId, { before: first || undefined, limit: 30 }));
    if (out) hasMore = out.has_more;
    draw();
    log.scrollTop = log.scrollHeight - before;
  };
  log.addEventListener('scroll', () => { if (log.scrollTop === 0 && hasMore) loadOlder(); });

  const header = h('header', { class: 'chat-head' },
    button('←', back, { class: 'back', 'aria-label': t('common.back') }), title, typingEl,
    conv.id === app.world ? null : h('span', { class: 'chat-tools' },
      conv.kind === 'direct' && conv.peer ? [
        button(t('calls.call'), () => startCall(conv.peer.id, 'audio'), { class: 'link', 'aria-label': t('calls.callName', { name: titleOf(conv) }) }),
        button(t('calls.video'), () => startCall(conv.peer.id, 'video'), { class: 'link', 'aria-label': t('calls.videoName', { name: titleOf(conv) }) }),
      ] : null,
      button(conv.pinned ? t('chats.unpin') : t('chats.pin'), () => guard(async () => {
        const c = await client.patch(`/conversations/${convId}`, { pinned: !conv.pinned });
        Object.assign(conv, c); app.convs.set(convId, conv); changed('convs');
      }), { class: 'link' }),
      button(conv.muted ? t('chats.unmute') : t('chats.mute'), () => guard(async () => {
        const c = await client.patch(`/conversations/${convId}`, { muted: !conv.muted });
        Object.assign(conv, c); app.convs.set(convId, conv); changed('convs');
      }), { class: 'link' })));
  mount(el, header, log, replyBar, progress,
    h('form', { class: 'composer', on: { submit: (e) => { e.preventDefault(); send(); } } },
      button('+', () => fileInput.click(), { class: 'attach', 'aria-label': t('chats.attach') }), fileInput, input,
      h('button', { type: 'submit', class: 'primary', text: t('chats.send') })));

  const offs = [
    client.on('message', (m) => { if (m.conversation_id === convId) schedule(); }),
    watch('chat', schedule),
    watch('typing', drawTyping),
    watch('convs', () => { title.textContent = titleOf(app.convs.get(convId) ?? conv); conv = app.convs.get(convId) ?? conv; }),
  ];
  const onVisible = () => markRead();
  document.addEventListener('visibilitychange', onVisible);
  if (conv.kind === 'group') groupOf(convId).then(() => { title.textContent = titleOf(conv); });
  (async () => {
    const out = await guard(() => client.history(convId, { limit: 30 }));
    if (out) hasMore = out.has_more;
    draw();
    log.scrollTop = log.scrollHeight;
    for (const m of client.messages.list(convId).slice(-20)) loadReactions(convId, m.seq).then(schedule).catch(() => {});
    if (conv.kind === 'direct' && conv.peer) user(conv.peer.id);
  })();
  input.focus();
  return { close: () => { offs.forEach((f) => f()); document.removeEventListener('visibilitychange', onVisible); } };
}
