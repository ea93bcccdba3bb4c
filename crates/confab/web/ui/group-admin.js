// A group's owner/admin tools beside its member list: the settings (name, description,
// announcement, avatar, join policy, visibility), pending join requests (approve or
// decline) and the ban list (unban).
import { h, mount, button, field, displayName, guard, avatar, toast, shortTime } from './dom.js';
import { t } from '../i18n/index.js';
import { client, user } from './state.js';

/** The list of an answer that is either a bare array or a page (`{items}`). */
function itemsOf(out) {
  return Array.isArray(out) ? out : out?.items ?? [];
}

/** The settings form (owner or admin). `saved(group)` runs after a successful save. */
export function settingsForm(g, saved) {
  const [nameL, name] = field(t('groups.name'), { name: 'group-name-edit', maxlength: '64', value: g.name, required: true });
  const [descL, desc] = field(t('groups.description'), { name: 'group-description', maxlength: '1000', value: g.description ?? '', multiline: true });
  const [annL, ann] = field(t('groups.announcement'), { name: 'group-announcement', maxlength: '2000', value: g.announcement ?? '', multiline: true });
  const pic = h('input', { type: 'file', accept: 'image/*', 'aria-label': t('groups.avatar') });
  const policy = h('select', { 'aria-label': t('groups.joinPolicy') },
    ['open', 'approval'].map((p) => h('option', { value: p, selected: g.join_policy === p }, t(`groups.policy.${p}`))));
  const vis = h('select', { 'aria-label': t('groups.visibility') },
    ['private', 'public'].map((v) => h('option', { value: v, selected: g.visibility === v }, t(`groups.${v}`))));
  const save = async (e) => {
    e.preventDefault();
    const patch = {
      name: name.value.trim(),
      description: desc.value,
      announcement: ann.value.trim() ? ann.value : null,
      join_policy: policy.value,
      visibility: vis.value,
    };
    const f = pic.files?.[0];
    if (f) {
      const up = await guard(() => client.upload(f, { kind: 'image' }));
      if (!up) return;
      patch.avatar = up.id;
    }
    const out = await guard(() => client.patch(`/groups/${g.id}`, patch));
    if (out) { toast(t('groups.settingsSaved')); saved(out); }
  };
  return h('details', { class: 'group-settings' },
    h('summary', { text: t('groups.settings') }),
    h('form', { on: { submit: save } }, nameL, descL, annL,
      h('label', { class: 'field' }, h('span', { text: t('groups.avatar') }), pic),
      h('label', { class: 'field' }, h('span', { text: t('groups.joinPolicy') }), policy),
      h('label', { class: 'field' }, h('span', { text: t('groups.visibility') }), vis),
      h('button', { type: 'submit', class: 'primary', text: t('groups.saveSettings') })));
}

/** Pending join requests with approve / decline (owner or admin). */
export function joinRequests(g, changedFn) {
  const list = h('ul', { class: 'people', 'aria-label': t('groups.joinRequests') });
  const load = async () => {
    const out = await client.get(`/groups/${g.id}/join-requests`).catch(() => []);
    const items = itemsOf(out).filter((r) => !r.status || r.status === 'pending');
    const users = await Promise.all(items.map((r) => user(r.user_id)));
    mount(list, items.length ? items.map((r, i) => h('li', { class: 'person', 'data-request': r.id },
      avatar(client, users[i]),
      h('span', { class: 'who' }, h('strong', { text: displayName(users[i]) }),
        h('small', { text: [r.message, shortTime(r.created_at)].filter(Boolean).join(' · ') })),
      h('span', { class: 'acts' },
        button(t('groups.approve'), async () => {
          if (await guard(() => client.post(`/groups/${g.id}/join-requests/${r.id}/approve`, {})) !== undefined) { toast(t('groups.approved', { name: displayName(users[i]) })); changedFn(); }
        }, { class: 'primary', 'aria-label': t('groups.approveName', { name: displayName(users[i]) }) }),
        button(t('groups.declineReq'), async () => {
          if (await guard(() => client.post(`/groups/${g.id}/join-requests/${r.id}/decline`, {})) !== undefined) load();
        }, { 'aria-label': t('groups.declineName', { name: displayName(users[i]) }) }))))
      : h('li', { class: 'empty', text: t('groups.noJoinRequests') }));
  };
  load();
  return h('section', { class: 'sub' }, h('h3', { text: t('groups.joinRequests') }),
    button(t('groups.refresh'), load, { class: 'link' }), list);
}

/** The bans in force with "Unban" (owner or admin). */
export function banList(g, changedFn) {
  const list = h('ul', { class: 'people', 'aria-label': t('groups.bans') });
  const load = async () => {
    const items = itemsOf(await client.get(`/groups/${g.id}/bans`).catch(() => []));
    const users = await Promise.all(items.map((b) => user(b.user_id)));
    mount(list, items.length ? items.map((b, i) => h('li', { class: 'person', 'data-user': b.user_id },
      avatar(client, users[i]),
      h('span', { class: 'who' }, h('strong', { text: displayName(users[i]) }),
        h('small', { text: b.until ? t('groups.bannedUntil', { when: shortTime(b.until) }) : t('groups.bannedForever') })),
      h('span', { class: 'acts' }, button(t('groups.unban'), async () => {
        if (await guard(() => client.del(`/groups/${g.id}/bans/${b.user_id}`)) !== undefined) { toast(t('groups.unbanned', { name: displayName(users[i]) })); load(); changedFn?.(); }
      }, { 'aria-label': t('groups.unbanName', { name: displayName(users[i]) }) }))))
      : h('li', { class: 'empty', text: t('groups.noBans') }));
  };
  load();
  return h('section', { class: 'sub' }, h('h3', { text: t('groups.bans') }), list);
}
