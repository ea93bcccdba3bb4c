// Wallet and gifts: balances, the ledger, sending a gift to a friend (in our direct chat) or
// to someone in my room, with an animation placeholder, and the leaderboards.
import { h, mount, button, displayName, guard, dialog, toast } from './dom.js';
import { randomId } from '../sdk/confab.js';
import { t } from '../i18n/index.js';
import { client, app, remember } from './state.js';

let catalog = null;

async function gifts() {
  if (!catalog) catalog = (await client.get('/gifts')).gifts ?? [];
  return catalog;
}

/** Plays the animation placeholder for a gift (a gift's own animation file needs a player). */
export function playGift(name, count) {
  const el = h('div', { class: 'gift-anim', role: 'status', 'data-testid': 'gift-animation' },
    h('span', { class: 'gift-icon', 'aria-hidden': 'true', text: '🎁' }), h('span', { text: t('wallet.giftAnim', { name, count }) }));
  document.body.appendChild(el);
  setTimeout(() => el.remove(), 2500);
}

/**
 * Asks which gift to send to `receiverId` and sends it. `where`: {room_id} or
 * {conversation_id}; absent: our direct chat.
 */
export async function giftDialog(receiverId, where = {}) {
  const list = await guard(gifts);
  if (!list) return;
  if (!list.length) { toast(t('wallet.noGifts')); return; }
  const sel = h('select', { 'aria-label': t('wallet.gift') }, list.map((g) => h('option', { value: g.id }, `${g.name} (${g.price})`)));
  const count = h('input', { type: 'number', min: '1', max: '9999', value: '1', 'aria-label': t('wallet.count') });
  const source = h('select', { 'aria-label': t('wallet.source') },
    h('option', { value: 'purchase' }, t('wallet.source.purchase')), h('option', { value: 'backpack' }, t('wallet.source.backpack')));
  const ok = await dialog(t('wallet.sendTo', { name: displayName(app.users.get(receiverId)) }), h('div', {}, sel, count, source), [[t('wallet.send'), true, { class: 'primary' }]]);
  if (!ok) return;
  let target = where;
  if (!target.room_id && !target.conversation_id) {
    const c = await guard(() => client.post('/conversations/direct', { user_id: receiverId }));
    if (!c) return;
    target = { conversation_id: c.id };
  }
  const g = list.find((x) => x.id === sel.value);
  const out = await guard(() => client.post('/gifts/sends', { client_key: randomId(), gift_id: sel.value, count: Number(count.value) || 1, receiver_id: receiverId, source: source.value, ...target }));
  if (out) playGift(g?.name ?? '', Number(count.value) || 1);
}

client.on('gift.sent', (d) => {
  if (d.send.receiver_id === client.userId) playGift(d.send.gift_name, d.send.count);
});

export function walletScreen(main) {
  const balance = h('div', { class: 'balance', 'aria-live': 'polite' });
  const ledger = h('ul', { class: 'ledger', 'aria-label': t('wallet.ledger') });
  const board = h('ol', { class: 'board', 'aria-label': t('wallet.leaderboard') });
  const friends = h('ul', { class: 'people', 'aria-label': t('wallet.sendGift') });
  const which = h('select', { 'aria-label': t('wallet.board'), on: { change: () => loadBoard() } },
    h('option', { value: 'senders' }, t('wallet.senders')), h('option', { value: 'receivers' }, t('wallet.receivers')));
  const period = h('select', { 'aria-label': t('wallet.period'), on: { change: () => loadBoard() } },
    ['day', 'week', 'all'].map((p) => h('option', { value: p }, t(`wallet.period.${p}`))));

  const backpack = h('ul', { class: 'people', 'aria-label': t('wallet.backpack') });
  const vip = h('div', { class: 'vip', 'aria-live': 'polite' });
  const periods = h('select', { 'aria-label': t('wallet.vipPeriods') },
    [1, 3, 6, 12].map((n) => h('option', { value: String(n) }, t('wallet.vipPeriodsN', { n }))));
  const drawWallet = (w) => {
    mount(balance,
      h('p', {}, h('strong', { 'data-testid': 'coins', text: String(w.coins) }), ` ${t('wallet.coins')}`),
      h('p', {}, h('strong', { text: String(w.diamonds) }), ` ${t('wallet.diamonds')}`),
      h('p', { text: t('wallet.level', { n: w.level }) }));
    const active = w.vip_until && new Date(w.vip_until) > new Date();
    mount(vip, h('p', { 'data-testid': 'vip-state', text: active ? t('wallet.vipUntil', { when: new Date(w.vip_until).toLocaleDateString() }) : t('wallet.vipNone') }));
  };
  const buyVip = async () => {
    const n = Number(periods.value) || 1;
    const ok = await dialog(t('wallet.vipConfirm', { n }), null, [[t('wallet.vipBuy'), true, { class: 'primary' }]]);
    if (!ok) return;
    const out = await guard(() => client.post('/wallet/vip', { periods: n, client_key: randomId() }));
    if (out) { toast(t('wallet.vipBought')); drawWallet(out.wallet); load(); }
  };
  const loadBackpack = async () => {
    const [out, list] = await Promise.all([client.get('/wallet/backpack').catch(() => ({ items: [] })), gifts().catch(() => [])]);
    const items = out.items ?? [];
    mount(backpack, items.length ? items.map((it) => h('li', { class: 'person', 'data-item': it.id },
      h('span', { class: 'gift-icon small', 'aria-hidden': 'true', text: '🎁' }),
      h('span', { class: 'who' }, h('strong', { text: `${list.find((g) => g.id === it.gift_id)?.name ?? it.gift_id} × ${it.count}` }),
        h('small', { text: it.expires_at ? t('wallet.expires', { when: new Date(it.expires_at).toLocaleDateString() }) : t('wallet.noExpiry') }))))
      : h('li', { class: 'empty', text: t('wallet.backpackEmpty') }));
  };
  const load = async () => {
    const w = await guard(() => client.get('/wallet'));
    if (w) drawWallet(w);
    const l = await client.get('/wallet/ledger', { limit: 20 }).catch(() => ({ items: [] }));
    mount(ledger, (l.items ?? []).map((e) => h('li', { text: `${e.delta > 0 ? '+' : ''}${e.delta} ${e.currency} · ${e.reason}` })));
  };
  const loadBoard = async () => {
    const out = await client.get('/gifts/leaderboard', { board: which.value, period: period.value }).catch(() => ({ entries: [] }));
    remember(...out.entries.map((e) => e.user));
    mount(board, out.entries.length ? out.entries.map((e) => h('li', { text: `${e.rank}. ${displayName(e.user)} — ${e.score}` })) : h('li', { class: 'empty', text: t('wallet.noBoard') }));
  };
  mount(friends, [...app.friends.values()].map((f) => h('li', { class: 'person' },
    h('span', { class: 'who', text: displayName(f.user, f.remark) }),
    h('span', { class: 'acts' }, button(t('wallet.sendGift'), () => giftDialog(f.user.id).then(() => { load(); loadBoard(); loadBackpack(); }))))));

  mount(main, h('div', { class: 'page' },
    h('section', { 'aria-labelledby': 'w-bal' }, h('h2', { id: 'w-bal', text: t('wallet.title') }), balance),
    h('section', { 'aria-labelledby': 'w-vip' }, h('h2', { id: 'w-vip', text: t('wallet.vip') }), vip,
      h('div', { class: 'row' }, periods, button(t('wallet.vipBuy'), buyVip, { class: 'primary' })), h('p', { class: 'hint', text: t('wallet.vipNote') })),
    h('section', { 'aria-labelledby': 'w-pack' }, h('h2', { id: 'w-pack', text: t('wallet.backpack') }), backpack),
    h('section', { 'aria-labelledby': 'w-send' }, h('h2', { id: 'w-send', text: t('wallet.sendGift') }), friends),
    h('section', { 'aria-labelledby': 'w-board' }, h('h2', { id: 'w-board', text: t('wallet.leaderboard') }), h('div', { class: 'row' }, which, period), board),
    h('section', { 'aria-labelledby': 'w-led' }, h('h2', { id: 'w-led', text: t('wallet.ledger') }), ledger)));
  load();
  loadBoard();
  loadBackpack();
  const off = client.on('wallet.updated', (d) => drawWallet(d.wallet));
  return off;
}
