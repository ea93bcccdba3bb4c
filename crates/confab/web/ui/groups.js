// Groups: create, search public groups and join, join by invite link, and (owner/admin)
// manage members: roles, mute, kick, ban, mute-all, invite links, transfer, dissolve.
import { h, mount, button, field, displayName, guard, avatar, toast, dialog } from './dom.js';
import { t } from '../i18n/index.js';
import { client, app, changed, groupOf, remember } from './state.js';
import { openConversation } from './chats.js';
import { settingsForm, joinRequests, banList } from './group-admin.js';

/** The token in an invite link (`…/#join=TOKEN`) or the bare token. */
function tokenOf(text) {
  const m = /join=([A-Za-z0-9_-]+)/.exec(text);
  return m ? m[1] : text.trim();
}

export function groupsScreen(main, { show, arg }) {
  const mine = h('ul', { class: 'people', 'aria-label': t('groups.mine') });
  const found = h('ul', { class: 'people', 'aria-label': t('groups.results') });
  const detail = h('section', { class: 'group-detail', 'aria-live': 'polite' });
  const [nameL, name] = field(t('groups.name'), { name: 'group-name', maxlength: '64', required: true });
  const vis = h('select', { 'aria-label': t('groups.visibility') },
    h('option', { value: 'private' }, t('groups.private')), h('option', { value: 'public' }, t('groups.public')));
  const policy = h('select', { 'aria-label': t('groups.joinPolicy') },
    ['open', 'approval'].map((p) => h('option', { value: p }, t(`groups.policy.${p}`))));
  const members = h('fieldset', { class: 'pick' }, h('legend', { text: t('groups.addFriends') }));
  const [qL, q] = field(t('groups.search'), { type: 'search', name: 'group-q', maxlength: '64' });
  const [invL, inv] = field(t('groups.inviteLink'), { name: 'invite' });

  const drawPick = () => mount(members, h('legend', { text: t('groups.addFriends') }),
    [...app.friends.values()].map((f) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', value: f.user.id }), displayName(f.user, f.remark))));
  const drawMine = async () => {
    const convs = [...app.convs.values()].filter((c) => c.kind === 'group' && !app.gone.has(c.id));
    const gs = (await Promise.all(convs.map((c) => groupOf(c.id)))).filter((g) => g && g.my_role);
    mount(mine, gs.length ? gs.map((g) => h('li', { class: 'person', 'data-group': g.id },
      avatar(client, { nickname: g.name }), h('span', { class: 'who' }, h('strong', { text: g.name }), h('small', { text: t('groups.count', { n: g.member_count }) })),
      h('span', { class: 'acts' }, button(t('groups.open'), () => openConversation(show, g.conversation_id)), button(t('groups.manage'), () => manage(g.id))))) : h('li', { class: 'empty', text: t('groups.none') }));
  };
  const create = async () => {
    const ids = [...members.querySelectorAll('input:checked')].map((i) => i.value);
    const g = await guard(() => client.post('/groups', { name: name.value.trim(), visibility: vis.value, join_policy: policy.value, member_ids: ids }));
    if (!g) return;
    app.groups.set(g.conversation_id, g);
    name.value = '';
    toast(t('groups.created', { name: g.name }));
    await client.sync().catch(() => {});
    drawMine();
    manage(g.id);
  };
  const search = async () => {
    const out = await guard(() => client.get('/groups', { q: q.value.trim() }));
    if (!out) return;
    mount(found, out.items.length ? out.items.map((g) => h('li', { class: 'person' },
      avatar(client, { nickname: g.name }), h('span', { class: 'who' }, h('strong', { text: g.name }), h('small', { text: g.description })),
      h('span', { class: 'acts' }, g.my_role ? h('span', { text: t('groups.joined') }) : button(t('groups.join'), async () => {
        const r = await guard(() => client.post(`/groups/${g.id}/join`, {}));
        if (r !== undefined) { toast(r?.conversation_id ? t('groups.joinedToast', { name: g.name }) : t('groups.requested')); app.groups.delete(g.conversation_id); app.gone.delete(g.conversation_id); await client.sync().catch(() => {}); drawMine(); }
      })))) : h('li', { class: 'empty', text: t('groups.noneFound') }));
  };
  const acceptInvite = async () => {
    const g = await guard(() => client.post(`/invites/${encodeURIComponent(tokenOf(inv.value))}/accept`, {}));
    if (g) { inv.value = ''; toast(t('groups.joinedToast', { name: g.name ?? '' })); await client.sync().catch(() => {}); drawMine(); }
  };

  const manage = async (id) => {
    const g = await guard(() => client.get(`/groups/${id}`));
    if (!g) return;
    app.groups.set(g.conversation_id, g);
    const page = await guard(() => client.get(`/groups/${id}/members`, { limit: 100 }));
    const list = page?.items ?? [];
    remember(...list.map((m) => m.user));
    const boss = g.my_role === 'owner' || g.my_role === 'admin';
    const owner = g.my_role === 'owner';
    const reload = () => { manage(id); drawMine(); };
    const act = (fn) => async () => { if (await guard(fn) !== undefined) reload(); };
    const memberRow = (m) => {
      const me = m.user.id === client.userId;
      const canAct = boss && !me && m.role !== 'owner' && (owner || m.role === 'member');
      return h('li', { class: 'person', 'data-user': m.user.id },
        avatar(client, m.user), h('span', { class: 'who' }, h('strong', { text: displayName(m.user) }),
          h('small', { text: t(`groups.role.${m.role}`) + (m.muted_until ? ` · ${t('groups.muted')}` : '') })),
        canAct ? h('span', { class: 'acts' },
          owner ? button(m.role === 'admin' ? t('groups.demote') : t('groups.promote'), act(() => client.patch(`/groups/${id}/members/${m.user.id}`, { role: m.role === 'admin' ? 'member' : 'admin' }))) : null,
          button(m.muted_until ? t('groups.unmute') : t('groups.mute'), act(() => client.patch(`/groups/${id}/members/${m.user.id}`, { mute: m.muted_until ? 'off' : '1h' }))),
          button(t('groups.kick'), act(() => client.del(`/groups/${id}/members/${m.user.id}`)), { class: 'danger', 'aria-label': t('groups.kickName', { name: displayName(m.user) }) }),
          button(t('groups.ban'), act(() => client.del(`/groups/${id}/members/${m.user.id}`, { ban: true })), { class: 'danger' }),
          owner ? button(t('groups.transfer'), act(async () => {
            if (await dialog(t('groups.transferConfirm', { name: displayName(m.user) }), null, [[t('groups.transfer'), true, { class: 'danger' }]])) return client.post(`/groups/${id}/transfer`, { user_id: m.user.id });
            return undefined;
          })) : null) : null);
    };
    const link = h('output', { class: 'invite-link' });
    mount(detail,
      h('h2', { text: g.name }),
      h('p', { text: t('groups.summary', { n: g.member_count, role: g.my_role ? t(`groups.role.${g.my_role}`) : '-' }) }),
      g.description ? h('p', { class: 'hint', text: g.description }) : null,
      g.announcement ? h('p', { class: 'announcement', 'data-testid': 'group-announcement' }, h('strong', { text: `${t('groups.announcement')}: ` }), g.announcement) : null,
      g.dissolved ? h('p', { class: 'error', text: t('groups.dissolved') }) : null,
      h('div', { class: 'acts' },
        button(t('groups.open'), () => openConversation(show, g.conversation_id)),
        boss && !g.dissolved ? button(g.all_muted ? t('groups.unmuteAll') : t('groups.muteAll'), act(() => client.put(`/groups/${id}/mute-all`, { muted: !g.all_muted }))) : null,
        boss && !g.dissolved ? button(t('groups.makeInvite'), async () => {
          const i = await guard(() => client.post(`/groups/${id}/invites`, {}));
          if (i) link.textContent = `${location.origin}/#join=${i.token}`;
        }) : null,
        !owner && g.my_role ? button(t('groups.leave'), act(() => client.post(`/groups/${id}/leave`, {}))) : null,
        owner && !g.dissolved ? button(t('groups.dissolve'), act(async () => {
          if (await dialog(t('groups.dissolveConfirm', { name: g.name }), null, [[t('groups.dissolve'), true, { class: 'danger' }]])) return client.del(`/groups/${id}`);
          return undefined;
        }), { class: 'danger' }) : null),
      link,
      boss && !g.dissolved ? settingsForm(g, reload) : null,
      h('h3', { text: t('groups.members') }),
      h('ul', { class: 'people', 'aria-label': t('groups.members') }, list.map(memberRow)),
      boss && !g.dissolved ? joinRequests(g, reload) : null,
      boss && !g.dissolved ? banList(g, reload) : null);
    changed('convs');
  };

  mount(main, h('div', { class: 'page' },
    h('section', { 'aria-labelledby': 'g-mine' }, h('h2', { id: 'g-mine', text: t('groups.mine') }), mine),
    detail,
    h('section', { 'aria-labelledby': 'g-new' }, h('h2', { id: 'g-new', text: t('groups.create') }),
      h('form', { on: { submit: (e) => { e.preventDefault(); create(); } } }, nameL, vis, policy, members, h('button', { type: 'submit', class: 'primary', text: t('groups.createBtn') }))),
    h('section', { 'aria-labelledby': 'g-find' }, h('h2', { id: 'g-find', text: t('groups.find') }),
      h('form', { class: 'row', role: 'search', on: { submit: (e) => { e.preventDefault(); search(); } } }, qL, h('button', { type: 'submit', text: t('contacts.searchBtn') })), found),
    h('section', { 'aria-labelledby': 'g-inv' }, h('h2', { id: 'g-inv', text: t('groups.joinByLink') }),
      h('form', { class: 'row', on: { submit: (e) => { e.preventDefault(); acceptInvite(); } } }, invL, h('button', { type: 'submit', text: t('groups.join') })))));
  drawPick();
  drawMine();
  const hash = /join=([A-Za-z0-9_-]+)/.exec(location.hash + (arg ?? ''));
  if (hash) inv.value = hash[1];
  if (arg && !hash) manage(arg);
  return null;
}
