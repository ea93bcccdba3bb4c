// The Confab web client: the shell (navigation, connection state, screens). Each screen is a
// module under ui/ that renders into the main area; the SDK (sdk/confab.js) does the talking.
import { h, mount, button, toast } from './ui/dom.js';
import { t, lang, setLang, LANGUAGES } from './i18n/index.js';
import { client, app, changed, watch, remember } from './ui/state.js';
import { authScreen } from './ui/auth.js';
import { chatsScreen, onSynced, openConversation } from './ui/chats.js';
import { contactsScreen, loadFriends } from './ui/contacts.js';
import { groupsScreen } from './ui/groups.js';
import { momentsScreen } from './ui/moments.js';
import { roomsScreen } from './ui/rooms.js';
import { walletScreen } from './ui/wallet.js';
import { meScreen } from './ui/me.js';
import { oauthReturn } from './ui/account.js';
import { callBar } from './ui/calls.js';

const SCREENS = {
  chats: chatsScreen,
  contacts: contactsScreen,
  groups: groupsScreen,
  moments: momentsScreen,
  rooms: roomsScreen,
  wallet: walletScreen,
  me: meScreen,
};

const root = document.getElementById('app');
let screen = 'chats';
let cleanup = null;

/** Shows screen `name` (and remembers it in the URL hash). */
export function show(name, arg) {
  if (!SCREENS[name]) name = 'chats';
  screen = name;
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
  render(arg);
}

function render(arg) {
  cleanup?.();
  cleanup = null;
  if (!client.session) {
    mount(root, authScreen(() => start()));
    return;
  }
  const main = h('main', { id: 'main', tabindex: '-1' });
  mount(root,
    h('header', { class: 'topbar' },
      h('span', { class: 'brand', text: 'Confab' }),
      h('span', { id: 'conn', class: `conn ${client.socketState}`, role: 'status', 'aria-live': 'polite',
        'data-state': client.socketState, text: t(`conn.${client.socketState}`) }),
      langPicker()),
    nav(),
    callBar(),
    main,
    h('div', { id: 'toasts', 'aria-live': 'polite' }));
  cleanup = SCREENS[screen](main, { show, arg }) ?? null;
}

function nav() {
  const items = Object.keys(SCREENS).map((name) => {
    let badge = null;
    if (name === 'chats' && app.totalUnread > 0) badge = h('span', { class: 'badge', 'data-testid': 'total-unread', text: String(app.totalUnread) });
    if (name === 'moments' && (app.momentsBadge?.unread_notifications > 0 || app.momentsBadge?.new_posts)) {
      badge = h('span', { class: 'dot', 'data-testid': 'moments-dot', 'aria-label': t('moments.new') });
    }
    return h('li', {},
      h('a', { href: `#${name}`, 'aria-current': name === screen ? 'page' : null,
        on: { click: (e) => { e.preventDefault(); show(name); } } },
      t(`nav.${name}`), badge));
  });
  return h('nav', { class: 'tabs', 'aria-label': t('nav.label') }, h('ul', {}, items));
}

function langPicker() {
  const sel = h('select', { 'aria-label': t('common.language'), on: { change: () => { setLang(sel.value); render(); } } },
    Object.keys(LANGUAGES).map((tag) => h('option', { value: tag, selected: tag === lang() }, t(`lang.${tag}`))));
  return sel;
}

function refreshNav() {
  const old = root.querySelector('nav.tabs');
  if (old) old.replaceWith(nav());
}

async function start() {
  client.connect();
  // An invite link (`/#join=TOKEN`) opens the groups screen with the token filled in.
  if (location.hash.startsWith('#join=')) show('groups', location.hash.slice(1));
  else show(location.hash.slice(1) || 'chats');
  loadFriends().catch(() => {});
  try {
    const w = await client.get('/channels/world');
    app.world = w.conversation_id;
    changed('convs');
  } catch { /* channel off */ }
}

client.on('socket', (s) => {
  const el = document.getElementById('conn');
  if (el) { el.className = `conn ${s}`; el.dataset.state = s; el.textContent = t(`conn.${s}`); }
});
client.on('session', (s) => { if (!s) { app.convs.clear(); render(); } });
client.on('synced', (out) => {
  onSynced(out);
  app.momentsBadge = out.moments ?? null;
  refreshNav();
});
watch('badge', refreshNav);
client.on('friend.request', (r) => {
  remember(r.from, r.to);
  if (r.to.id === client.userId) toast(t('contacts.requestFrom', { name: r.from.nickname || r.from.username }));
  changed('requests');
});
client.on('friend.accepted', () => { loadFriends().catch(() => {}); client.sync().catch(() => {}); });
client.on('friend.removed', () => loadFriends().catch(() => {}));
client.on('moment.posted', () => { app.momentsBadge = { ...(app.momentsBadge ?? {}), new_posts: true }; refreshNav(); });
client.on('moment.liked', () => client.sync().catch(() => {}));
client.on('moment.commented', () => client.sync().catch(() => {}));
client.on('notice', (n) => toast(`${n.title}: ${n.text}`));
client.on('session.revoked', () => toast(t('me.revoked'), 'error'));

window.addEventListener('hashchange', () => {
  const name = location.hash.slice(1);
  if (name && name !== screen && SCREENS[name]) show(name);
});

export { openConversation };

document.documentElement.lang = lang();
// Back from a provider's sign-in page: the tokens are in the fragment (read, then cleared).
oauthReturn().finally(() => { if (client.session) start(); else render(); });
