// Contacts: find users, friend requests (send, accept, decline, cancel), friends (chat,
// remark, remove, block), and the users I block.
import { h, mount, button, field, displayName, guard, avatar, toast, dialog } from './dom.js';
import { t } from '../i18n/index.js';
import { client, app, changed, watch, remember } from './state.js';
import { openConversation } from './chats.js';

/** Loads my friends into the cache. */
export async function loadFriends() {
  const out = await client.get('/friends', { limit: 100 });
  app.friends.clear();
  for (const f of out.items) { app.friends.set(f.user.id, f); remember(f.user); }
  changed('friends');
}

export function contactsScreen(main, { show }) {
  const results = h('ul', { class: 'people', 'aria-label': t('contacts.results') });
  const incoming = h('ul', { class: 'people', 'aria-label': t('contacts.incoming') });
  const outgoing = h('ul', { class: 'people', 'aria-label': t('contacts.outgoing') });
  const friends = h('ul', { class: 'people', 'aria-label': t('contacts.friends') });
  const blocks = h('ul', { class: 'people', 'aria-label': t('contacts.blocked') });
  const [searchLabel, q] = field(t('contacts.search'), { type: 'search', name: 'q', maxlength: '64' });

  const person = (u, ...actions) => h('li', { class: 'person', 'data-user': u.id },
    avatar(client, u), h('span', { class: 'who' }, h('strong', { text: displayName(u, app.friends.get(u.id)?.remark) }), h('small', { text: `@${u.username}` })),
    h('span', { class: 'acts' }, actions));

  const search = async () => {
    const text = q.value.trim();
    if (!text) return;
    const out = await guard(() => client.get('/users', { q: text }));
    if (!out) return;
    remember(...out.items);
    mount(results, out.items.length ? out.items.map((u) => person(u, relationActions(u))) : h('li', { class: 'empty', text: t('contacts.none') }));
  };
  const relationActions = (u) => {
    switch (u.relation) {
      case 'self': return null;
      case 'friend': return button(t('contacts.chat'), () => chatWith(u.id));
      case 'requested_out': return h('span', { text: t('contacts.requested') });
      case 'requested_in': return h('span', { text: t('contacts.askedYou') });
      default: return button(t('contacts.add'), () => addFriend(u));
    }
  };
  const addFriend = async (u) => {
    const greeting = h('input', { 'aria-label': t('contacts.greeting'), maxlength: '500', value: t('contacts.greetingDefault', { name: displayName(app.users.get(client.userId) ?? client.session?.user) }) });
    const ok = await dialog(t('contacts.addTitle', { name: displayName(u) }), h('label', { class: 'field' }, h('span', { text: t('contacts.greeting') }), greeting),
      [[t('contacts.send'), true, { class: 'primary' }]]);
    if (!ok) return;
    const r = await guard(() => client.post('/friend-requests', { user_id: u.id, greeting: greeting.value || undefined }));
    if (r) { toast(r.status === 'accepted' ? t('contacts.nowFriends') : t('contacts.sent')); loadRequests(); search(); if (r.status === 'accepted') loadFriends(); }
  };
  const chatWith = async (id) => {
    const c = await guard(() => client.post('/conversations/direct', { user_id: id }));
    if (c) { app.convs.set(c.id, { ...app.convs.get(c.id), ...c }); openConversation(show, c.id); }
  };
  const loadRequests = async () => {
    const [inc, out] = await Promise.all([
      client.get('/friend-requests', { direction: 'incoming' }),
      client.get('/friend-requests', { direction: 'outgoing' }),
    ]).catch(() => [{ items: [] }, { items: [] }]);
    mount(incoming, inc.items.length ? inc.items.map((r) => h('li', { class: 'person', 'data-request': r.id },
      avatar(client, r.from), h('span', { class: 'who' }, h('strong', { text: displayName(r.from) }), r.note ? h('small', { text: r.note }) : null),
      h('span', { class: 'acts' },
        button(t('contacts.accept'), async () => { if (await guard(() => client.post(`/friend-requests/${r.id}/accept`))) { toast(t('contacts.nowFriends')); loadRequests(); loadFriends(); client.sync().catch(() => {}); } }, { class: 'primary' }),
        button(t('contacts.decline'), async () => { await guard(() => client.post(`/friend-requests/${r.id}/decline`)); loadRequests(); }))))
      : h('li', { class: 'empty', text: t('contacts.noRequests') }));
    mount(outgoing, out.items.map((r) => person(r.to, button(t('contacts.cancel'), async () => { await guard(() => client.del(`/friend-requests/${r.id}`)); loadRequests(); }))));
  };
  const drawFriends = () => mount(friends, app.friends.size ? [...app.friends.values()].map((f) => person(f.user,
    h('span', { class: `presence ${f.presence}`, text: t(`presence.${f.presence}`) }),
    button(t('contacts.chat'), () => chatWith(f.user.id), { class: 'primary' }),
    button(t('contacts.remark'), async () => {
      const input = h('input', { 'aria-label': t('contacts.remark'), maxlength: '32', value: f.remark });
      const v = await dialog(t('contacts.remark'), input, [[t('common.save'), () => input.value]]);
      if (v !== null && v !== undefined) { await guard(() => client.patch(`/friends/${f.user.id}`, { remark: v })); loadFriends(); }
    }),
    button(f.blocked ? t('contacts.unblock') : t('contacts.block'), async () => {
      await guard(() => (f.blocked ? client.del(`/blocks/${f.user.id}`) : client.put(`/blocks/${f.user.id}`)));
      loadFriends(); loadBlocks();
    }),
    button(t('contacts.remove'), async () => {
      if (await dialog(t('contacts.removeConfirm', { name: displayName(f.user) }), null, [[t('contacts.remove'), true, { class: 'danger' }]])) {
        await guard(() => client.del(`/friends/${f.user.id}`)); loadFriends();
      }
    }))) : h('li', { class: 'empty', text: t('contacts.noFriends') }));
  const loadBlocks = async () => {
    const out = await client.get('/blocks').catch(() => ({ items: [] }));
    mount(blocks, out.items.map((b) => person(b.user, button(t('contacts.unblock'), async () => { await guard(() => client.del(`/blocks/${b.user.id}`)); loadBlocks(); loadFriends(); }))));
  };

  mount(main, h('div', { class: 'page' },
    h('section', { 'aria-labelledby': 'find-h' }, h('h2', { id: 'find-h', text: t('contacts.find') }),
      h('form', { class: 'row', role: 'search', on: { submit: (e) => { e.preventDefault(); search(); } } }, searchLabel, h('button', { type: 'submit', text: t('contacts.searchBtn') })),
      results),
    h('section', { 'aria-labelledby': 'req-h' }, h('h2', { id: 'req-h', text: t('contacts.requests') }), incoming, outgoing),
    h('section', { 'aria-labelledby': 'fr-h' }, h('h2', { id: 'fr-h', text: t('contacts.friends') }), friends),
    h('section', { 'aria-labelledby': 'bl-h' }, h('h2', { id: 'bl-h', text: t('contacts.blocked') }), blocks)));
  drawFriends();
  loadRequests();
  loadBlocks();
  loadFriends().catch(() => {});
  const offs = [watch('friends', drawFriends), watch('requests', loadRequests)];
  return () => offs.forEach((f) => f());
}
