// Sign in (password, or a code sent by email or SMS) and sign up.
import { h, field, button, mount, errorText } from './dom.js';
import { t } from '../i18n/index.js';
import { client } from './state.js';
import { oauthProviders, startOauth } from './account.js';

/** The signed-out screen; `done()` runs once signed in. */
export function authScreen(done) {
  const box = h('section', { class: 'auth', 'aria-labelledby': 'auth-title' });
  let mode = 'login';
  // Sign-in buttons for the third-party providers this server has (none: nothing shown).
  const oauth = h('div', { class: 'oauth', 'aria-label': t('auth.oauth'), role: 'group' });
  oauthProviders().then((list) => mount(oauth, list.length ? h('p', { class: 'hint', text: t('auth.oauthOr') }) : null,
    list.map((p) => button(t('auth.oauthWith', { name: p.name }), () => startOauth(p.name), { 'data-provider': p.name }))));
  const draw = () => mount(box,
    h('h1', { id: 'auth-title', text: 'Confab' }),
    h('div', { class: 'seg', role: 'tablist', 'aria-label': t('auth.mode') },
      ['login', 'register', 'code'].map((m) => h('button', {
        type: 'button', role: 'tab', 'aria-selected': String(m === mode),
        on: { click: () => { mode = m; draw(); } } }, t(`auth.tab.${m}`)))),
    mode === 'login' ? loginForm(done) : mode === 'register' ? registerForm(done) : codeForm(done),
    oauth);
  draw();
  return box;
}

function errorLine() {
  return h('p', { class: 'error', role: 'alert' });
}

function loginForm(done) {
  const [l1, login] = field(t('auth.login'), { name: 'login', autocomplete: 'username', required: true });
  const [l2, pass] = field(t('auth.password'), { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const err = errorLine();
  return h('form', { on: { submit: async (e) => {
    e.preventDefault();
    try { await client.login(login.value.trim(), pass.value); done(); } catch (x) { err.textContent = errorText(x); }
  } } }, l1, l2, err, h('button', { type: 'submit', class: 'primary' }, t('auth.signIn')));
}

function registerForm(done) {
  const [l1, username] = field(t('auth.username'), { name: 'username', autocomplete: 'username', required: true, minlength: 3, maxlength: 32 });
  const [l2, nickname] = field(t('auth.nickname'), { name: 'nickname', maxlength: 64 });
  const [l3, pass] = field(t('auth.password'), { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 });
  const err = errorLine();
  return h('form', { on: { submit: async (e) => {
    e.preventDefault();
    try {
      await client.register({ username: username.value.trim(), password: pass.value, nickname: nickname.value.trim() || undefined });
      done();
    } catch (x) { err.textContent = errorText(x); }
  } } }, l1, l2, l3, err, h('button', { type: 'submit', class: 'primary' }, t('auth.signUp')));
}

function codeForm(done) {
  const channel = h('select', { 'aria-label': t('auth.channel') },
    h('option', { value: 'email' }, t('auth.email')), h('option', { value: 'sms' }, t('auth.phone')));
  const [l1, target] = field(t('auth.target'), { name: 'target', required: true });
  const [l2, code] = field(t('auth.code'), { name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code' });
  const err = errorLine();
  const hint = h('p', { class: 'hint', text: t('auth.codeHint') });
  const send = button(t('auth.sendCode'), async () => {
    try {
      await client.requestCode(channel.value, target.value.trim(), 'login');
      err.textContent = '';
      hint.textContent = t('auth.codeSent');
    } catch (x) { err.textContent = errorText(x); }
  });
  return h('form', { on: { submit: async (e) => {
    e.preventDefault();
    try { await client.loginWithCode(channel.value, target.value.trim(), code.value.trim()); done(); } catch (x) { err.textContent = errorText(x); }
  } } }, channel, l1, send, hint, l2, err, h('button', { type: 'submit', class: 'primary' }, t('auth.signIn')));
}
