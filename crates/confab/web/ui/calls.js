// Direct calls: ring a friend from the chat, answer or decline a call ringing me, cancel or
// hang up, and see the state (ringing, in the call, ended with its outcome). Confab carries
// no media: a 1:1 call's audio/video go peer to peer over WebRTC with the STUN/TURN servers
// from `GET /calls/ice-servers`; this bar shows that media state, as the rooms show mic
// state (docs/calls.md). One bar for the whole app, above the screens.
import { h, mount, button, displayName, guard, toast } from './dom.js';
import { t } from '../i18n/index.js';
import { client, app, user } from './state.js';

/** The call on screen: {call, phase: 'outgoing'|'incoming'|'active'|'ended', media?: string}. */
let current = null;
const bar = h('section', { id: 'callbar', class: 'callbar', hidden: true, 'aria-live': 'assertive', 'aria-label': t('calls.bar') });

/** The bar element (the same one every time, so the state survives a screen change). */
export function callBar() {
  return bar;
}

function peerOf(call) {
  return call.caller_id === client.userId ? call.callee_id : call.caller_id;
}

/** Shows `next` (an ended call stays, with its outcome, until closed or the next call). */
function set(next) {
  current = next;
  draw();
}

function draw() {
  if (!current) { bar.hidden = true; mount(bar); return; }
  const { call, phase } = current;
  const peer = app.users.get(peerOf(call));
  if (!peer) user(peerOf(call)).then(draw);
  const name = displayName(peer);
  const kind = t(`calls.media.${call.media ?? 'audio'}`);
  const acts = [];
  if (phase === 'incoming') {
    acts.push(button(t('calls.accept'), () => act('accept'), { class: 'primary' }));
    acts.push(button(t('calls.decline'), () => act('decline'), { class: 'danger' }));
  } else if (phase === 'outgoing') {
    acts.push(button(t('calls.cancel'), () => act('hangup'), { class: 'danger' }));
  } else if (phase === 'active') {
    acts.push(button(t('calls.hangUp'), () => act('hangup'), { class: 'danger' }));
  } else {
    acts.push(button(t('common.close'), () => set(null), { class: 'link' }));
  }
  bar.hidden = false;
  mount(bar,
    h('span', { class: 'call-icon', 'aria-hidden': 'true', text: call.media === 'video' ? '🎥' : '📞' }),
    h('span', { class: 'call-main' },
      h('strong', { 'data-testid': 'call-state', 'data-phase': phase, text: t(`calls.phase.${phase}`, { name, kind, outcome: t(`calls.outcome.${call.outcome ?? 'ended'}`) }) }),
      current.media ? h('small', { class: 'hint', 'data-testid': 'call-media', text: current.media }) : null),
    h('span', { class: 'acts' }, acts));
}

/** Accept, decline or hang up the call on screen. */
async function act(what) {
  if (!current) return;
  const { call } = current;
  const out = await guard(() => client.post(`/calls/${call.id}/${what}`, {}));
  if (out === undefined) {
    // Over already (answered elsewhere, timed out): show what the server says.
    const now = await client.get(`/calls/${call.id}`).catch(() => null);
    if (now) onCall(now);
    return;
  }
  const c = out?.call ?? out ?? call;
  onCall(c.id ? c : { ...call, state: what === 'accept' ? 'active' : 'ended' });
}

/** Applies a call's state from an answer or an event. */
function onCall(call) {
  if (current && current.call.id !== call.id && current.phase !== 'ended') return; // one call at a time
  if (call.state === 'ended') { set({ call, phase: 'ended' }); return; }
  if (call.state === 'active') {
    const phase = 'active';
    set({ call, phase, media: current?.media });
    mediaState(call);
    return;
  }
  set({ call, phase: call.caller_id === client.userId ? 'outgoing' : 'incoming' });
}

/** What the media path would use: the STUN/TURN servers this server hands out. */
async function mediaState(call) {
  const out = await client.get('/calls/ice-servers').catch(() => null);
  const list = Array.isArray(out) ? out : out?.ice_servers ?? out?.servers ?? [];
  const urls = list.flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls])).filter(Boolean);
  const stun = urls.filter((u) => u.startsWith('stun:')).length;
  const turn = urls.filter((u) => u.startsWith('turn:') || u.startsWith('turns:')).length;
  if (current?.call.id === call.id) { current.media = t('calls.mediaState', { stun, turn }); draw(); }
}

/** Rings `userId` (a friend: the direct chat's send rule decides). */
export async function startCall(userId, media = 'audio') {
  if (current && current.phase !== 'ended') { toast(t('calls.busyHere'), 'error'); return; }
  const out = await guard(() => client.post('/calls', { callee_id: userId, media }));
  if (!out) return;
  const call = out.call ?? out;
  if (call.state === 'ended') { set({ call, phase: 'ended' }); return; }
  set({ call, phase: 'outgoing' });
}

client.on('call.ringing', (d) => onCall(d.call));
client.on('call.accepted', (d) => onCall(d.call));
client.on('call.answered_elsewhere', (d) => {
  if (d.session_id === client.session?.session_id) onCall(d.call);
  else if (current?.call.id === d.call.id) { toast(t('calls.elsewhere')); set(null); }
});
client.on('call.ended', (d) => { if (!current || current.call.id === d.call.id) onCall(d.call); });
// After a reconnect, the call may have moved on meanwhile.
client.on('ready', async () => {
  if (!current || current.phase === 'ended') return;
  const now = await client.get(`/calls/${current.call.id}`).catch(() => null);
  if (now) onCall(now);
});
client.on('session', (s) => { if (!s) set(null); });
