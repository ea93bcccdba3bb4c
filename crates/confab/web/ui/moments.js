// Moments: the friends' feed (photos, likes, comments), posting with a photo and a
// visibility, the notification inbox, and the red dot (cleared by reading).
import { h, mount, button, displayName, guard, avatar, toast, shortTime } from './dom.js';
import { t } from '../i18n/index.js';
import { client, app, changed, remember } from './state.js';

/** Who sees my moment, for its author ("Only: Bob, Carol"). */
function visibilityText(m) {
  const names = (m.audience?.user_ids ?? []).map((id) => displayName(app.users.get(id) ?? app.friends.get(id)?.user));
  const base = t(`moments.vis.${m.visibility}`);
  return names.length ? `${base}: ${names.join(', ')}` : base;
}

export function momentsScreen(main) {
  const feed = h('ol', { class: 'feed', 'aria-label': t('moments.feed') });
  const inbox = h('ul', { class: 'inbox', 'aria-label': t('moments.inbox') });
  const text = h('textarea', { 'aria-label': t('moments.text'), placeholder: t('moments.text'), maxlength: '2000' });
  const photo = h('input', { type: 'file', accept: 'image/*', 'aria-label': t('moments.photo') });
  // `only` (selected friends) and `except` (friends but these) need an audience: a friend picker.
  const audience = h('fieldset', { class: 'pick', hidden: true }, h('legend', { text: t('moments.audience') }));
  const drawAudience = () => mount(audience, h('legend', { text: vis.value === 'except' ? t('moments.audienceExcept') : t('moments.audience') }),
    app.friends.size ? [...app.friends.values()].map((f) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', value: f.user.id }), displayName(f.user, f.remark))) : h('p', { class: 'hint', text: t('contacts.noFriends') }));
  const vis = h('select', { 'aria-label': t('moments.visibility'), on: { change: () => {
    audience.hidden = !['only', 'except'].includes(vis.value);
    if (!audience.hidden) drawAudience();
  } } },
    ['friends', 'only', 'except', 'public', 'private'].map((v) => h('option', { value: v }, t(`moments.vis.${v}`))));
  const progress = h('progress', { max: '1', value: '0', hidden: true, 'aria-label': t('chats.uploading') });
  let cursor = null;

  const post = async () => {
    const media = [];
    const file = photo.files?.[0];
    if (file) {
      progress.hidden = false;
      const up = await guard(() => client.upload(file, { kind: 'image', onProgress: (f) => { progress.value = f; } }));
      progress.hidden = true;
      if (!up) return;
      media.push(up.id);
    }
    if (!text.value.trim() && !media.length) return;
    const input = { text: text.value.trim(), media, visibility: vis.value };
    if (!audience.hidden) {
      const ids = [...audience.querySelectorAll('input:checked')].map((i) => i.value);
      if (!ids.length) { toast(t('moments.pickSomeone'), 'error'); return; }
      input.audience = { user_ids: ids };
    }
    const m = await guard(() => client.post('/moments', input));
    if (m) { text.value = ''; photo.value = ''; audience.querySelectorAll('input:checked').forEach((i) => { i.checked = false; }); toast(t('moments.posted')); load(true); }
  };

  const card = (m) => {
    remember(m.author);
    const comments = h('ul', { class: 'comments', 'aria-label': t('moments.comments') });
    const input = h('input', { 'aria-label': t('moments.comment'), placeholder: t('moments.comment'), maxlength: '500' });
    const likeBtn = button(`${m.liked_by_me ? '♥' : '♡'} ${m.like_count ?? 0}`, async () => {
      const r = await guard(() => (m.liked_by_me ? client.del(`/moments/${m.id}/like`) : client.put(`/moments/${m.id}/like`)));
      if (r !== undefined) { m.liked_by_me = !m.liked_by_me; m.like_count = (m.like_count ?? 0) + (m.liked_by_me ? 1 : -1); likeBtn.textContent = `${m.liked_by_me ? '♥' : '♡'} ${m.like_count}`; }
    }, { 'aria-pressed': String(!!m.liked_by_me), 'aria-label': t('moments.like') });
    const loadComments = async () => {
      const out = await client.get(`/moments/${m.id}/comments`).catch(() => ({ items: [] }));
      mount(comments, out.items.map((c) => h('li', {}, h('strong', { text: `${displayName(c.author)}: ` }), c.text)));
    };
    const images = h('div', { class: 'photos' }, (m.media ?? []).map((f) => {
      const img = h('img', { alt: t('moments.photoAlt'), class: 'photo' });
      client.fileUrl(f.id, 'thumbnail').then((u) => { img.src = u; }).catch(() => {});
      return img;
    }));
    if ((m.comment_count ?? 0) > 0) loadComments();
    return h('li', { class: 'moment', 'data-moment': m.id },
      h('div', { class: 'moment-head' }, avatar(client, m.author), h('strong', { text: displayName(m.author, app.friends.get(m.author.id)?.remark) }),
        h('time', { datetime: m.created_at, text: shortTime(m.created_at) })),
      m.text ? h('p', { class: 'text', text: m.text }) : null,
      m.author.id === client.userId && m.visibility !== 'friends' ? h('small', { class: 'hint', 'data-testid': 'moment-visibility', text: visibilityText(m) }) : null,
      images,
      h('div', { class: 'acts' }, likeBtn,
        m.author.id === client.userId ? button(t('moments.delete'), async () => { if (await guard(() => client.del(`/moments/${m.id}`)) !== undefined) load(true); }, { class: 'link' }) : null),
      comments,
      h('form', { class: 'row', on: { submit: async (e) => {
        e.preventDefault();
        if (!input.value.trim()) return;
        if (await guard(() => client.post(`/moments/${m.id}/comments`, { text: input.value.trim() }))) { input.value = ''; loadComments(); }
      } } }, input, h('button', { type: 'submit', text: t('moments.send') })));
  };

  const load = async (fresh) => {
    if (fresh) cursor = null;
    const out = await guard(() => client.get('/moments/feed', { cursor, limit: 20 }));
    if (!out) return;
    if (fresh) mount(feed);
    for (const m of out.items) feed.appendChild(card(m));
    if (!out.items.length && fresh) feed.appendChild(h('li', { class: 'empty', text: t('moments.empty') }));
    cursor = out.next_cursor ?? null;
    more.hidden = !cursor;
    if (fresh && app.momentsBadge) { app.momentsBadge.new_posts = false; changed('badge'); }
  };
  const loadInbox = async () => {
    const out = await client.get('/moments/notifications').catch(() => ({ items: [] }));
    mount(inbox, out.items.map((n) => h('li', { class: n.unread ? 'unread' : '' },
      h('strong', { text: displayName(n.actor) }), ' ', t(`moments.note.${n.kind}`), n.comment_text ? `: ${n.comment_text}` : '')));
    if (out.items.some((n) => n.unread)) {
      await client.post('/moments/notifications/read', {}).catch(() => {});
      if (app.momentsBadge) { app.momentsBadge.unread_notifications = 0; changed('badge'); }
    }
  };
  const more = button(t('moments.more'), () => load(false), { hidden: true });

  mount(main, h('div', { class: 'page' },
    h('section', { 'aria-labelledby': 'm-new' }, h('h2', { id: 'm-new', text: t('moments.new') }),
      h('form', { on: { submit: (e) => { e.preventDefault(); post(); } } }, text, h('div', { class: 'row' }, photo, vis), audience, progress,
        h('button', { type: 'submit', class: 'primary', text: t('moments.post') }))),
    h('section', { 'aria-labelledby': 'm-inbox' }, h('h2', { id: 'm-inbox', text: t('moments.inbox') }), inbox),
    h('section', { 'aria-labelledby': 'm-feed' }, h('h2', { id: 'm-feed', text: t('moments.feed') }), feed, more)));
  load(true);
  loadInbox();
  return null;
}
