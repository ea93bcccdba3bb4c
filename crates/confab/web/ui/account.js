// Me → account: change my password, bind (or remove) an email address or phone number with
// a code, and my linked third-party sign-ins (link another, unlink). OAuth sign-in itself is
// on the sign-in screen (auth.js); the tokens come back in the URL fragment (oauthReturn).
import { h, mount, button, field, guard, toast, errorText, dialog } from './dom.js';
import { t } from '../i18n/index.js';
import { client } from './state.js';

/** The providers configured on this server (cached; empty when none or on error). */
let providersP = null;
export function oauthProviders() {
  if (!providersP) {
    providersP = client.request('GET', '/auth/oauth/providers', undefined, { auth: false })
      .then((out) => out?.providers ?? [])
      .catch(() => { providersP = null; return []; });
  }
  return providersP;
}

/** This page, as the place a provider sends the browser back to (allow-listed by the operator). */
export function returnUrl() {
  return `${location.origin}/`;
}

/**
 * Starts a provider flow: sign-in (a browser navigation), or linking to my account (the
 * start call must carry my token, so it is fetched as JSON and the browser then follows it).
 */
export async function startOauth(name, link = false) {
  const q = new URLSearchParams({ redirect_uri: returnUrl() });
  if (!link) {
    location.assign(`/api/v1/auth/oauth/${encodeURIComponent(name)}/start?${q}`);
    return;
  }
  q.set('link', 'true');
  const resp = await fetch(`/api/v1/auth/oauth/${encodeURIComponent(name)}/start?${q}`, {
    headers: { accept: 'application/json', authorization: `Bearer ${client.session?.access_token}` },
  }).catch(() => null);
  const out = resp ? await resp.json().catch(() => null) : null;
  if (!resp?.ok || !out?.authorize_url) { toast(errorText({ code: out?.error?.code ?? 'network', message: out?.error?.message }), 'error'); return; }
  location.assign(out.authorize_url);
}

/**
 * After a provider sent the browser back: `#access_token=…&refresh_token=…&session_id=…`
 * (signed in) or `#linked=NAME`. Reads and clears the fragment; true when it held tokens.
 */
export async function oauthReturn() {
  const hash = location.hash.slice(1);
  if (!/(^|&)(access_token|linked)=/.test(hash)) return false;
  const p = new URLSearchParams(hash);
  history.replaceState(null, '', location.pathname);
  if (p.get('linked')) { setTimeout(() => toast(t('account.linked', { name: p.get('linked') })), 500); return false; }
  const session = { access_token: p.get('access_token'), refresh_token: p.get('refresh_token'), session_id: p.get('session_id'), user: null };
  client.setSession(session);
  try {
    const me = await client.get('/me');
    client.setSession({ ...client.session, user: me });
    return true;
  } catch {
    client.setSession(null);
    return false;
  }
}

/** Password change: with the old password (a code when the account has none). */
function passwordForm(me) {
  const [l1, old] = field(t('account.oldPassword'), { name: 'old-password', type: 'password', autocomplete: 'current-password' });
  const [l2, fresh] = field(t('account.newPassword'), { name: 'new-password', type: 'password', autocomplete: 'new-password', minlength: '8', maxlength: '128', required: true });
  const status = h('p', { class: 'hint', role: 'status' });
  return h('form', { 'aria-labelledby': 'pw-h', on: { submit: async (e) => {
    e.preventDefault();
    const out = await guard(() => client.put('/me/password', { old_password: old.value, new_password: fresh.value }));
    if (out !== undefined) { old.value = ''; fresh.value = ''; status.textContent = t('account.passwordChanged'); toast(t('account.passwordChanged')); }
  } } }, h('h3', { id: 'pw-h', text: t('account.password') }),
  me.has_password === false ? h('p', { class: 'hint', text: t('account.noPassword') }) : l1,
  l2, status, h('button', { type: 'submit', class: 'primary', text: t('account.changePassword') }));
}

/** Bind an email address or a phone number (a `bind` code proves it), or remove it. */
function bindForm(kind, me, redraw) {
  const channel = kind === 'email' ? 'email' : 'sms';
  const current = me[kind];
  const [l1, target] = field(t(`account.${kind}`), { name: `bind-${kind}`, type: kind === 'email' ? 'email' : 'tel', maxlength: '254', autocomplete: kind === 'email' ? 'email' : 'tel' });
  const [l2, code] = field(t('auth.code'), { name: `bind-${kind}-code`, inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '16' });
  const hint = h('p', { class: 'hint', role: 'status' });
  const send = button(t('auth.sendCode'), async () => {
    if (!target.value.trim()) return;
    if (await guard(() => client.requestCode(channel, target.value.trim(), 'bind')) !== undefined) hint.textContent = t('auth.codeSent');
  });
  return h('form', { class: 'bind', on: { submit: async (e) => {
    e.preventDefault();
    const body = kind === 'email' ? { email: target.value.trim(), code: code.value.trim() } : { phone: target.value.trim(), code: code.value.trim() };
    const out = await guard(() => client.put(`/me/${kind}`, body));
    if (out) { toast(t('account.bound')); redraw(out); }
  } } },
  h('h3', { text: t(`account.${kind}`) }),
  current ? h('p', {}, h('span', { 'data-testid': `bound-${kind}`, text: current }), ' ',
    h('small', { class: 'hint', text: me[`${kind}_verified`] ? t('account.verified') : t('account.unverified') }), ' ',
    button(t('account.remove'), async () => {
      if (!await dialog(t('account.removeConfirm', { what: current }), null, [[t('account.remove'), true, { class: 'danger' }]])) return;
      if (await guard(() => client.del(`/me/${kind}`)) !== undefined) redraw(await client.get('/me'));
    }, { class: 'link', 'aria-label': t('account.removeWhat', { what: current }) })) : null,
  h('div', { class: 'row' }, l1, send), hint, l2,
  h('button', { type: 'submit', text: current ? t('account.change') : t('account.bind') }));
}

/** My linked providers, and buttons to link the others. */
function identities() {
  const box = h('div', { class: 'identities' });
  const load = async () => {
    const [mine, all] = await Promise.all([client.get('/me/identities').catch(() => []), oauthProviders()]);
    const linked = new Set(mine.map((i) => i.provider));
    mount(box, h('h3', { text: t('account.identities') }),
      mine.length ? h('ul', { class: 'people', 'aria-label': t('account.identities') }, mine.map((i) => h('li', { class: 'person' },
        h('span', { class: 'who' }, h('strong', { text: i.provider }), i.email ? h('small', { text: i.email }) : null),
        h('span', { class: 'acts' }, button(t('account.unlink'), async () => {
          if (await guard(() => client.del(`/me/identities/${encodeURIComponent(i.provider)}`)) !== undefined) load();
        }, { 'aria-label': t('account.unlinkName', { name: i.provider }) }))))) : h('p', { class: 'hint', text: t('account.noIdentities') }),
      all.filter((p) => !linked.has(p.name)).map((p) => button(t('account.link', { name: p.name }), () => startOauth(p.name, true))));
  };
  load();
  return box;
}

/** The account section of the Me screen. */
export function accountSection(me) {
  const box = h('section', { 'aria-labelledby': 'acc-h' });
  const draw = (m) => mount(box, h('h2', { id: 'acc-h', text: t('account.title') }),
    passwordForm(m), bindForm('email', m, draw), bindForm('phone', m, draw), identities());
  draw(me);
  return box;
}
