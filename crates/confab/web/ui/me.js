// Me: edit my profile and avatar, my presence, my sessions (devices; sign one out), sign out.
import { h, mount, button, field, guard, avatar, toast, shortTime } from './dom.js';
import { t } from '../i18n/index.js';
import { client, remember } from './state.js';
import { accountSection } from './account.js';

export function meScreen(main) {
  const profile = h('section', { 'aria-labelledby': 'me-h' });
  const sessions = h('ul', { class: 'people', 'aria-label': t('me.sessions') });
  const account = h('div', {});

  const drawProfile = (me) => {
    remember(me);
    const [l1, nickname] = field(t('me.nickname'), { name: 'nickname', maxlength: '64', value: me.nickname });
    const [l2, bio] = field(t('me.bio'), { name: 'bio', maxlength: '200', value: me.bio, multiline: true });
    const file = h('input', { type: 'file', accept: 'image/*', 'aria-label': t('me.avatar') });
    const presence = h('select', { 'aria-label': t('me.presence'), on: { change: () => guard(() => client.put('/me/presence', { status: presence.value })) } },
      ['online', 'away', 'busy', 'invisible'].map((s) => h('option', { value: s }, t(`presence.${s}`))));
    mount(profile,
      h('h2', { id: 'me-h', text: t('me.profile') }),
      h('div', { class: 'me-head' }, avatar(client, me, 'lg'), h('div', {}, h('strong', { text: me.nickname }), h('div', { class: 'hint', text: `@${me.username}` }))),
      h('form', { on: { submit: async (e) => {
        e.preventDefault();
        const patch = { nickname: nickname.value.trim(), bio: bio.value };
        const f = file.files?.[0];
        if (f) {
          const up = await guard(() => client.upload(f, { kind: 'image' }));
          if (!up) return;
          patch.avatar = up.id;
        }
        const out = await guard(() => client.patch('/me', patch));
        if (out) { toast(t('me.saved')); client.setSession({ ...client.session, user: out }); drawProfile(out); }
      } } }, l1, l2, h('label', { class: 'field' }, h('span', { text: t('me.avatar') }), file), h('button', { type: 'submit', class: 'primary', text: t('common.save') })),
      h('label', { class: 'field' }, h('span', { text: t('me.presence') }), presence));
  };
  const loadSessions = async () => {
    const out = await client.get('/me/sessions').catch(() => []);
    const items = Array.isArray(out) ? out : out.items ?? [];
    mount(sessions, items.map((s) => h('li', { class: 'person' },
      h('span', { class: 'who' }, h('strong', { text: s.device || t('me.unknownDevice') }),
        h('small', { text: `${s.ip} · ${t('me.lastUsed', { when: shortTime(s.last_used_at) })}${s.current ? ` · ${t('me.thisDevice')}` : ''}` })),
      s.current ? null : h('span', { class: 'acts' }, button(t('me.signOutDevice'), async () => { await guard(() => client.del(`/me/sessions/${s.id}`)); loadSessions(); })))));
  };

  mount(main, h('div', { class: 'page' }, profile, account,
    h('section', { 'aria-labelledby': 'ses-h' }, h('h2', { id: 'ses-h', text: t('me.sessions') }), sessions),
    h('section', {}, button(t('me.signOut'), () => client.logout(), { class: 'danger' }))));
  client.get('/me').then((me) => { drawProfile(me); mount(account, accountSection(me)); })
    .catch(() => drawProfile(client.session.user));
  loadSessions();
  return null;
}
