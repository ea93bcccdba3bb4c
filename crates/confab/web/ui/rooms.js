// Voice rooms: find or create one, enter, see the seats (who sits, mic state), take or apply
// for a seat, leave it, turn the mic on or off; the owner and admins approve applications,
// invite, lock, mute and kick. Audio itself needs an SFU (LiveKit): this screen shows the
// state only. The room chat is the room's conversation.
import { h, mount, button, field, displayName, guard, avatar, toast } from './dom.js';
import { t } from '../i18n/index.js';
import { client, app, user } from './state.js';
import { giftDialog } from './wallet.js';
import { renderMessage } from './message.js';

export function roomsScreen(main) {
  const list = h('ul', { class: 'people', 'aria-label': t('rooms.list') });
  const stage = h('section', { class: 'room', 'aria-live': 'polite' });
  const [nameL, name] = field(t('rooms.name'), { name: 'room-name', maxlength: '40' });
  const mode = h('select', { 'aria-label': t('rooms.mode') },
    h('option', { value: 'free' }, t('rooms.free')), h('option', { value: 'apply' }, t('rooms.apply')));
  // A private room is not listed: people enter it with its code (the room id) and password.
  const priv = h('input', { type: 'checkbox', name: 'room-private' });
  const [passL, pass] = field(t('rooms.password'), { name: 'room-password', type: 'password', minlength: '4', maxlength: '64', autocomplete: 'new-password' });
  const [codeL, code] = field(t('rooms.code'), { name: 'room-code', maxlength: '32' });
  const [keyL, key] = field(t('rooms.key'), { name: 'room-key', type: 'password', maxlength: '64', autocomplete: 'off' });
  let room = null;
  let seats = null;
  let apps = [];
  const offs = [];

  const loadList = async () => {
    const out = await client.get('/rooms').catch(() => ({ items: [] }));
    const items = out.items ?? out.rooms ?? [];
    mount(list, items.length ? items.map((r) => h('li', { class: 'person', 'data-room': r.id },
      avatar(client, { nickname: r.name }), h('span', { class: 'who' }, h('strong', { text: r.name }), h('small', { text: t('rooms.audience', { n: r.audience }) })),
      h('span', { class: 'acts' }, button(t('rooms.enter'), () => enter(r.id), { class: 'primary' })))) : h('li', { class: 'empty', text: t('rooms.none') }));
  };
  const create = async () => {
    const input = { name: name.value.trim(), seat_mode: mode.value };
    if (priv.checked) { input.visibility = 'private'; input.password = pass.value; }
    const r = await guard(() => client.post('/rooms', input));
    if (r) { name.value = ''; pass.value = ''; priv.checked = false; enter(r.id); loadList(); }
  };
  const enter = async (id, password) => {
    if (await guard(() => client.post(`/rooms/${id}/join`, password ? { password } : {})) === undefined) return;
    room = await guard(() => client.get(`/rooms/${id}`));
    seats = await guard(() => client.get(`/rooms/${id}/seats`));
    await loadApps();
    draw();
    if (room) client.history(room.conversation_id, { limit: 50 }).then(drawChat).catch(() => {});
  };
  const loadApps = async () => {
    if (!room) return;
    const out = await client.get(`/rooms/${room.id}/applications`).catch(() => null);
    apps = (out?.requests ?? out?.items ?? []).filter((r) => r.user_id !== client.userId || true);
  };
  const boss = () => room && (room.my_role === 'owner' || room.my_role === 'admin');
  const mySeat = () => seats?.seats.find((s) => s.user_id === client.userId) ?? null;
  const act = (fn) => async () => { await guard(fn); };

  const seatEl = (s) => {
    const who = s.user_id ? app.users.get(s.user_id) : null;
    if (s.user_id && !who) user(s.user_id).then(draw);
    const label = s.locked ? t('rooms.locked') : who ? displayName(who) : t('rooms.empty');
    const mic = s.user_id ? (s.mic_on ? t('rooms.micOn') : t('rooms.micOff')) : '';
    const base = `/rooms/${room.id}/seats/${s.position}`;
    const mineSeat = s.user_id === client.userId;
    return h('li', { class: `seat ${s.user_id ? 'taken' : ''} ${s.locked ? 'locked' : ''}`, 'data-seat': s.position,
      'aria-label': t('rooms.seatLabel', { n: s.position, who: label, mic }) },
      h('span', { class: 'seat-no', text: String(s.position) }),
      s.user_id ? avatar(client, who) : h('span', { class: 'avatar md', 'aria-hidden': 'true', text: s.locked ? '🔒' : '+' }),
      h('span', { class: 'seat-name', 'data-testid': 'seat-name', text: label }),
      s.user_id ? h('span', { class: `mic ${s.mic_on ? 'on' : 'off'}`, text: mic }) : null,
      s.muted ? h('span', { class: 'muted', text: t('rooms.seatMuted') }) : null,
      h('span', { class: 'acts' },
        !s.user_id && !s.locked && !mySeat()
          ? (room.seat_mode === 'free' || boss()
            ? button(t('rooms.take'), act(() => client.post(`${base}/take`, {})), { 'aria-label': t('rooms.takeN', { n: s.position }) })
            : button(t('rooms.applyFor'), act(async () => { await client.post(`/rooms/${room.id}/applications`, { position: s.position }); toast(t('rooms.applied')); })))
          : null,
        mineSeat ? button(t('rooms.leaveSeat'), act(() => client.post(`/rooms/${room.id}/seats/leave`, {}))) : null,
        mineSeat && !s.muted ? button(s.mic_on ? t('rooms.micOffBtn') : t('rooms.micOnBtn'), act(() => client.put(`/rooms/${room.id}/seats/mic`, { on: !s.mic_on }))) : null,
        s.user_id && !mineSeat ? button(t('rooms.gift'), () => giftDialog(s.user_id, { room_id: room.id })) : null,
        boss() ? [
          button(s.locked ? t('rooms.unlock') : t('rooms.lock'), act(() => client.post(`${base}/${s.locked ? 'unlock' : 'lock'}`, {}))),
          button(s.muted ? t('rooms.unmute') : t('rooms.mute'), act(() => client.post(`${base}/${s.muted ? 'unmute' : 'mute'}`, {}))),
          s.user_id && !mineSeat ? button(t('rooms.kickSeat'), act(() => client.post(`${base}/kick`, { user_id: s.user_id })), { class: 'danger' }) : null,
          s.user_id && !mineSeat ? button(t('rooms.kickRoom'), act(() => client.post(`/rooms/${room.id}/kicks`, { user_id: s.user_id })), { class: 'danger' }) : null,
        ] : null));
  };

  // The room chat: the room's conversation, newest messages since I entered.
  const chatLog = h('ol', { class: 'messages room-chat', role: 'log', 'aria-label': t('rooms.chat') });
  const chatInput = h('input', { 'aria-label': t('rooms.say'), placeholder: t('rooms.say'), maxlength: '4000' });
  const drawChat = () => {
    if (!room) return;
    mount(chatLog, client.messages.list(room.conversation_id).slice(-50)
      .map((m) => renderMessage(m, 'room', { onReply: () => {}, rerender: drawChat })));
    chatLog.scrollTop = chatLog.scrollHeight;
  };
  const chatForm = h('form', { class: 'composer', on: { submit: async (e) => {
    e.preventDefault();
    const text = chatInput.value.trim();
    if (!text || !room) return;
    chatInput.value = '';
    await guard(() => client.send(room.conversation_id, 'text', { text }));
  } } }, chatInput, h('button', { type: 'submit', class: 'primary', text: t('chats.send') }));
  offs.push(client.on('message', (m) => { if (room && m.conversation_id === room.conversation_id) drawChat(); }));

  const draw = () => {
    if (!room || !seats) { mount(stage); return; }
    const inviteInput = h('input', { 'aria-label': t('rooms.inviteWho'), placeholder: t('rooms.inviteWho') });
    mount(stage,
      h('h2', { text: room.name }),
      room.announcement ? h('p', { text: room.announcement }) : null,
      room.visibility === 'private' ? h('p', { class: 'hint', 'data-testid': 'room-code' }, `${t('rooms.privateNote')} `, h('code', { text: room.id })) : null,
      h('p', { class: 'hint', text: t('rooms.audioNote') }),
      h('ol', { class: 'seats', 'aria-label': t('rooms.seats') }, seats.seats.map(seatEl)),
      boss() && apps.length ? h('section', {}, h('h3', { text: t('rooms.applications') }),
        h('ul', { class: 'people' }, apps.map((a) => h('li', { class: 'person' },
          h('span', { class: 'who', text: displayName(app.users.get(a.user_id)) + (a.position ? ` → ${a.position}` : '') }),
          h('span', { class: 'acts' },
            button(t('rooms.approve'), act(async () => { await client.post(`/rooms/${room.id}/applications/${a.user_id}/approve`, {}); await loadApps(); draw(); }), { class: 'primary' }),
            button(t('rooms.reject'), act(async () => { await client.post(`/rooms/${room.id}/applications/${a.user_id}/reject`, {}); await loadApps(); draw(); }))))))) : null,
      boss() ? h('form', { class: 'row', on: { submit: async (e) => {
        e.preventDefault();
        const found = await guard(() => client.get('/users', { q: inviteInput.value.trim() }));
        const u = found?.items?.[0];
        if (u) await guard(() => client.post(`/rooms/${room.id}/invitations`, { user_id: u.id }));
      } } }, inviteInput, h('button', { type: 'submit', text: t('rooms.invite') })) : null,
      h('h3', { text: t('rooms.chat') }), chatLog, chatForm,
      h('div', { class: 'acts' },
        button(t('rooms.leave'), act(async () => { await client.post(`/rooms/${room.id}/leave`, {}); room = null; seats = null; draw(); loadList(); })),
        room.my_role === 'owner' ? button(t('rooms.close'), act(async () => { await client.post(`/rooms/${room.id}/close`, {}); room = null; seats = null; draw(); loadList(); }), { class: 'danger' }) : null));
  };

  offs.push(client.on('room.seats', (d) => {
    if (!room || d.room_id !== room.id) return;
    if (seats && d.version <= seats.version) return;
    seats = { room_id: d.room_id, version: d.version, seats: d.seats };
    draw();
  }));
  offs.push(client.on('room.application', async (d) => { if (room && d.request.room_id === room.id) { await user(d.request.user_id); await loadApps(); draw(); } }));
  offs.push(client.on('room.invitation', async (d) => {
    if (!room || d.request.user_id !== client.userId || d.state !== 'pending') return;
    if (window.confirm(t('rooms.invited'))) await guard(() => client.post(`/rooms/${room.id}/invitations/mine/accept`, {}));
    else await guard(() => client.post(`/rooms/${room.id}/invitations/mine/decline`, {}));
  }));
  offs.push(client.on('room.kicked', (d) => { if (room && d.room_id === room.id && d.user_id === client.userId) { toast(t('rooms.kicked'), 'error'); room = null; seats = null; draw(); } }));
  offs.push(client.on('room.closed', (d) => { if (room && d.room_id === room.id) { toast(t('rooms.closed')); room = null; seats = null; draw(); loadList(); } }));
  offs.push(client.on('room.role', (d) => { if (room && d.room_id === room.id && d.user_id === client.userId) { room.my_role = d.role; draw(); } }));
  offs.push(client.on('ready', async () => { if (room) { seats = await client.get(`/rooms/${room.id}/seats`).catch(() => seats); draw(); } }));

  mount(main, h('div', { class: 'page' }, stage,
    h('section', { 'aria-labelledby': 'r-list' }, h('h2', { id: 'r-list', text: t('rooms.title') }), list),
    h('section', { 'aria-labelledby': 'r-new' }, h('h2', { id: 'r-new', text: t('rooms.create') }),
      h('form', { class: 'row', on: { submit: (e) => { e.preventDefault(); create(); } } }, nameL, mode,
        h('label', { class: 'check' }, priv, t('rooms.private')), passL,
        h('button', { type: 'submit', class: 'primary', text: t('rooms.createBtn') }))),
    h('section', { 'aria-labelledby': 'r-code' }, h('h2', { id: 'r-code', text: t('rooms.enterPrivate') }),
      h('form', { class: 'row', on: { submit: (e) => { e.preventDefault(); if (code.value.trim()) enter(code.value.trim(), key.value); } } }, codeL, keyL,
        h('button', { type: 'submit', text: t('rooms.enter') })))));
  loadList();
  client.get('/me/room').then((r) => { if (r?.room?.id ?? r?.id) enter(r.room?.id ?? r.id); }).catch(() => {});
  return () => offs.forEach((f) => f());
}
