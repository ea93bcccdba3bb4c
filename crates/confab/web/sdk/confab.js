// Confab JavaScript SDK: accounts, the REST API, the WebSocket with reconnects, and a
// message store that dedupes by id and fills gaps by seq. No dependencies; an ES module
// that runs in any modern browser (and in Node 22+, which has fetch and WebSocket).
// Reference: docs/web-client.md (SDK section), docs/openapi.json, docs/protocol.md.

/**
 * @typedef {{access_token: string, refresh_token: string, session_id: string, user: Object}} Session
 * @typedef {{id: string, conversation_id: string, seq: number, sender_id: string,
 *   client_msg_id: string, kind: string, body: Object, reply_to?: number|null,
 *   mentions: string[], edited_at?: string|null, recalled_at?: string|null,
 *   created_at: string, pending?: boolean, failed?: boolean}} Message
 * @typedef {{id: string, kind: string, last_seq: number, read_seq: number, unread: number,
 *   pinned: boolean, muted: boolean, hidden: boolean, last_message?: Message|null,
 *   last_message_at?: string|null, peer?: Object|null}} Conversation
 * @typedef {'offline'|'connecting'|'online'} SocketState
 */

/** An error answered by the API: `status` is the HTTP status, `code` the stable code. */
export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {string=} field */
  constructor(status, code, message, field) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** A random id for `client_msg_id` and frame ids. */
export function randomId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return Math.random().toString(36).slice(2) + Date.now().toString(36);
}

/** The messages of one conversation, kept by seq; a message seen twice is stored once. */
export class MessageStore {
  constructor() {
    /** @type {Map<string, Map<number, Message>>} */
    this.byConv = new Map();
    /** @type {Map<string, {seq:number, conv:string}>} */
    this.byId = new Map();
  }
  /** @param {string} conv */
  conv(conv) {
    let m = this.byConv.get(conv);
    if (!m) this.byConv.set(conv, (m = new Map()));
    return m;
  }
  /** Adds or replaces a message; returns false when an identical copy was already there. */
  put(/** @type {Message} */ msg) {
    const m = this.conv(msg.conversation_id);
    const old = m.get(msg.seq);
    if (old && old.id === msg.id && old.edited_at === msg.edited_at &&
        old.recalled_at === msg.recalled_at && !old.pending) return false;
    m.set(msg.seq, { ...old, ...msg, pending: false });
    this.byId.set(msg.id, { seq: msg.seq, conv: msg.conversation_id });
    return true;
  }
  /** The highest seq held for `conv` (0 when none). */
  lastSeq(conv) {
    let max = 0;
    for (const s of this.conv(conv).keys()) if (s > max) max = s;
    return max;
  }
  /** The lowest seq held for `conv` (0 when none). */
  firstSeq(conv) {
    let min = 0;
    for (const s of this.conv(conv).keys()) if (min === 0 || s < min) min = s;
    return min;
  }
  /** The messages of `conv` in seq order. @returns {Message[]} */
  list(conv) {
    return [...this.conv(conv).values()].sort((a, b) => a.seq - b.seq);
  }
  /** @param {string} conv @param {number} seq */
  get(conv, seq) {
    return this.conv(conv).get(seq);
  }
}

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const SEND_RETRY_MS = 120000;

/**
 * A signed-in (or signing-in) user of one Confab server.
 *
 * Events (`client.on(type, fn)`): every server frame type (`message.new`, `typing`,
 * `friend.request`, `room.seats`, …) with its `data`; plus `socket` (a SocketState),
 * `session` (the Session or null when signed out), `synced` (the sync answer, after every
 * (re)connect), `message` (a Message stored or changed, deduped), `gap` ({conversation_id}).
 */
export class ConfabClient {
  /**
   * @param {{baseUrl?: string, storage?: Storage|null, device?: string,
   *   WebSocket?: typeof WebSocket}} [opts]
   */
  constructor(opts = {}) {
    this.baseUrl = (opts.baseUrl ?? globalThis.location?.origin ?? '').replace(/\/$/, '');
    this.storage = opts.storage === undefined ? globalThis.localStorage ?? null : opts.storage;
    this.device = opts.device ?? 'Web browser';
    this.WS = opts.WebSocket ?? globalThis.WebSocket;
    /** @type {Session|null} */
    this.session = null;
    this.messages = new MessageStore();
    /** @type {SocketState} */
    this.socketState = 'offline';
    this.syncCursor = null;
    /** @type {Map<string, Set<Function>>} */
    this.listeners = new Map();
    this.pending = new Map();
    this.ws = null;
    this.attempt = 0;
    this.wanted = false;
    this.refreshing = null;
    this.fileUrls = new Map();
    const saved = this.storage?.getItem('confab.session');
    if (saved) {
      try { this.session = JSON.parse(saved); } catch { this.session = null; }
    }
  }

  // ------------------------------------------------------------------ events

  /** Subscribes `fn` to `type`; returns the function that unsubscribes. */
  on(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(fn);
    return () => this.listeners.get(type)?.delete(fn);
  }
  emit(type, data) {
    for (const fn of this.listeners.get(type) ?? []) {
      try { fn(data); } catch (e) { console.error(e); }
    }
  }

  // ------------------------------------------------------------------ accounts

  /** The signed-in user's id, or null. */
  get userId() {
    return this.session?.user?.id ?? null;
  }
  setSession(/** @type {Session|null} */ s) {
    this.session = s;
    if (s) this.storage?.setItem('confab.session', JSON.stringify(s));
    else this.storage?.removeItem('confab.session');
    this.emit('session', s);
  }
  /** `POST /auth/register`; signs in. @param {{username: string, password: string, nickname?: string, email?: string, email_code?: string, phone?: string, phone_code?: string}} input */
  async register(input) {
    const s = await this.request('POST', '/auth/register', { device: this.device, ...input }, { auth: false });
    this.setSession(s);
    return s;
  }
  /** `POST /auth/login` with a username, email or phone and a password. */
  async login(login, password) {
    const s = await this.request('POST', '/auth/login', { login, password, device: this.device }, { auth: false });
    this.setSession(s);
    return s;
  }
  /** `POST /auth/codes`: sends a code (`channel`: `email` | `sms`; `purpose`: `login` | `register` …). */
  requestCode(channel, target, purpose) {
    return this.request('POST', '/auth/codes', { channel, target, purpose }, { auth: false });
  }
  /** `POST /auth/login/code`: signs in with a code sent to an email or phone. */
  async loginWithCode(channel, target, code) {
    const s = await this.request('POST', '/auth/login/code', { channel, target, code, device: this.device }, { auth: false });
    this.setSession(s);
    return s;
  }
  /** `POST /auth/refresh`: rotates the refresh token. Concurrent callers share one refresh. */
  refresh() {
    if (!this.refreshing) {
      const token = this.session?.refresh_token;
      this.refreshing = (async () => {
        try {
          if (!token) throw new ApiError(401, 'unauthorized', 'not signed in');
          const s = await this.request('POST', '/auth/refresh', { refresh_token: token }, { auth: false });
          this.setSession({ ...this.session, ...s });
          return s;
        } catch (e) {
          if (e instanceof ApiError && e.status === 401) this.signedOut();
          throw e;
        } finally {
          this.refreshing = null;
        }
      })();
    }
    return this.refreshing;
  }
  /** `POST /auth/logout`, then forgets the session locally. */
  async logout() {
    try { await this.request('POST', '/auth/logout'); } catch { /* signed out anyway */ }
    this.signedOut();
  }
  signedOut() {
    this.disconnect();
    this.setSession(null);
    this.messages = new MessageStore();
    this.syncCursor = null;
  }

  // ------------------------------------------------------------------ REST

  /**
   * One API call: `path` is below `/api/v1`. Refreshes an expired access token once.
   * @param {string} method @param {string} path @param {any=} body
   * @param {{auth?: boolean, query?: Object, retried?: boolean}} [opt]
   */
  async request(method, path, body, opt = {}) {
    const auth = opt.auth !== false;
    let url = `${this.baseUrl}/api/v1${path}`;
    if (opt.query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(opt.query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
      const qs = q.toString();
      if (qs) url += `?${qs}`;
    }
    const headers = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (auth && this.session) headers.authorization = `Bearer ${this.session.access_token}`;
    let resp;
    try {
      resp = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new ApiError(0, 'network', String(e?.message ?? e));
    }
    if (resp.status === 401 && auth && !opt.retried && this.session) {
      const err = await readError(resp);
      if (err.code === 'token_expired') {
        await this.refresh();
        return this.request(method, path, body, { ...opt, retried: true });
      }
      if (err.code === 'session_revoked') this.signedOut();
      throw err;
    }
    if (!resp.ok) throw await readError(resp);
    if (resp.status === 204) return null;
    const text = await resp.text();
    return text ? JSON.parse(text) : null;
  }
  get(path, query) { return this.request('GET', path, undefined, { query }); }
  post(path, body = {}) { return this.request('POST', path, body); }
  put(path, body = {}) { return this.request('PUT', path, body); }
  patch(path, body = {}) { return this.request('PATCH', path, body); }
  del(path, query) { return this.request('DELETE', path, undefined, { query }); }

  /**
   * `POST /uploads` with progress (`onProgress(fraction)`); resolves to the FileOut.
   * @param {Blob} file @param {{kind?: string, name?: string, onProgress?: (f: number) => void}} [opt]
   */
  upload(file, opt = {}) {
    const send = (retried) => new Promise((resolve, reject) => {
      const form = new FormData();
      if (opt.kind) form.append('kind', opt.kind);
      form.append('file', file, opt.name ?? file.name ?? 'file');
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${this.baseUrl}/api/v1/uploads`);
      xhr.setRequestHeader('authorization', `Bearer ${this.session?.access_token}`);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) opt.onProgress?.(e.loaded / e.total); };
      xhr.onerror = () => reject(new ApiError(0, 'network', 'upload failed'));
      xhr.onload = () => {
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
        if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
        const e = data?.error ?? {};
        reject(new ApiError(xhr.status, e.code ?? 'http_error', e.message ?? xhr.statusText));
      };
      xhr.send(form);
    });
    return send().catch(async (e) => {
      if (e.status === 401 && e.code === 'token_expired') { await this.refresh(); return send(true); }
      throw e;
    });
  }

  /** An object URL for a file (downloaded with the bearer token, cached). */
  async fileUrl(id, variant) {
    const key = `${id}:${variant ?? ''}`;
    if (!this.fileUrls.has(key)) {
      const p = (async () => {
        const q = variant ? `?variant=${encodeURIComponent(variant)}` : '';
        const get = () => fetch(`${this.baseUrl}/api/v1/files/${encodeURIComponent(id)}${q}`, {
          headers: { authorization: `Bearer ${this.session?.access_token}` },
        });
        let resp = await get();
        if (resp.status === 401) { await this.refresh(); resp = await get(); }
        if (!resp.ok) throw await readError(resp);
        return URL.createObjectURL(await resp.blob());
      })();
      this.fileUrls.set(key, p);
      p.catch(() => this.fileUrls.delete(key));
    }
    return this.fileUrls.get(key);
  }

  // ------------------------------------------------------------------ messaging

  /** `GET /sync` from the last cursor; stores last messages and the missed ones; emits `synced`. */
  async sync() {
    const out = await this.get('/sync', { cursor: this.syncCursor });
    await this.applySync(out);
    return out;
  }

  /**
   * Takes a sync answer (from `GET /sync` or `ready`): stores the missed messages the server
   * put inline (`missed`: every message after `missed.after_seq`) and fetches, per held
   * conversation, only the gap between what it holds and `after_seq`; emits `synced`.
   */
  async applySync(out) {
    this.syncCursor = out.cursor;
    const gaps = [];
    for (const c of out.conversations) {
      const held = this.messages.byConv.has(c.id);
      const mine = held ? this.messages.lastSeq(c.id) : 0;
      // Without `missed` (an older server) the whole gap is ours to fetch.
      const from = c.missed ? c.missed.after_seq : c.last_seq;
      if (held && mine < from) gaps.push([c.id, mine, from]);
      for (const m of c.missed?.messages ?? []) this.store(m);
      if (c.last_message) this.store(c.last_message);
    }
    this.emit('synced', out);
    for (const [conv, after, to] of gaps) await this.fillGap(conv, after, to).catch(() => {});
  }

  /** Fetches the messages of `conv` with `after < seq <= to` (at most 20 pages of 100). */
  async fillGap(conv, after, to) {
    for (let i = 0; i < 20 && after < to; i++) {
      const out = await this.history(conv, { after, before: to + 1, limit: 100 });
      const last = out.messages.at(-1)?.seq ?? after;
      if (!out.has_more || last <= after) return;
      after = last;
    }
  }

  /** Stores a message (deduped by id and seq) and emits `message` when it is new or changed. */
  store(/** @type {Message} */ msg) {
    if (this.messages.put(msg)) this.emit('message', this.messages.get(msg.conversation_id, msg.seq));
  }

  /** History before (`before_seq`) or after (`after_seq`) a seq; stores what it gets. */
  async history(conv, { before, after, limit = 50 } = {}) {
    const out = await this.get(`/conversations/${conv}/messages`, { before_seq: before, after_seq: after, limit });
    for (const m of out.messages) this.store(m);
    return out;
  }

  /** Fetches everything after the last seq held for `conv` (a gap, or after a reconnect). */
  async catchUp(conv) {
    for (let i = 0; i < 20; i++) {
      const out = await this.history(conv, { after: this.messages.lastSeq(conv), limit: 100 });
      if (!out.has_more) return;
    }
  }

  /**
   * Sends a message: over the socket when it is up, else over HTTP; retried with the same
   * `client_msg_id` until acknowledged (the server stores it once).
   * @param {string} conv @param {string} kind @param {Object} body
   * @param {{reply_to?: number, mentions?: string[]}} [extra]
   */
  async send(conv, kind, body, extra = {}) {
    const input = { conversation_id: conv, client_msg_id: randomId(), kind, body, ...extra };
    // Like a phone's outbox: transient failures are retried for up to two minutes, at once
    // when the socket comes back, else after a backoff; the same client_msg_id each time.
    const deadline = Date.now() + SEND_RETRY_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        const { conversation_id: _, ...http } = input; // over HTTP the path names it
        const ack = this.socketState === 'online'
          ? await this.command('send', input)
          : await this.post(`/conversations/${conv}/messages`, http);
        this.store({ ...input, ...ack, sender_id: this.userId, mentions: extra.mentions ?? [],
          reply_to: extra.reply_to ?? null, edited_at: null, recalled_at: null });
        return ack;
      } catch (e) {
        const transient = e.code === 'network' || e.code === 'socket_closed' || e.status === 503 || e.code === 'rate_limited';
        if (!transient || Date.now() > deadline) throw e;
        await this.untilOnlineOr(BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]);
      }
    }
  }

  /** Resolves after `ms`, or sooner when the socket becomes ready. */
  untilOnlineOr(ms) {
    return new Promise((resolve) => {
      const off = this.on('ready', () => { clearTimeout(timer); off(); resolve(); });
      const timer = setTimeout(() => { off(); resolve(); }, ms);
    });
  }

  /** Moves my read mark (never backwards; the server ignores older seqs). */
  markRead(conv, seq) {
    if (this.socketState === 'online') return this.command('read', { conversation_id: conv, seq }).catch(() => this.post(`/conversations/${conv}/read`, { seq }));
    return this.post(`/conversations/${conv}/read`, { seq });
  }
  /** Tells the others I am typing (the server pushes at most one event per 2 s). */
  typing(conv) {
    if (this.socketState === 'online') this.command('typing', { conversation_id: conv }).catch(() => {});
  }
  edit(conv, seq, body) { return this.patch(`/conversations/${conv}/messages/${seq}`, { body }); }
  recall(conv, seq) { return this.del(`/conversations/${conv}/messages/${seq}`); }
  react(conv, seq, emoji) { return this.put(`/conversations/${conv}/messages/${seq}/reactions/${encodeURIComponent(emoji)}`); }
  unreact(conv, seq, emoji) { return this.del(`/conversations/${conv}/messages/${seq}/reactions/${encodeURIComponent(emoji)}`); }

  // ------------------------------------------------------------------ socket

  /** Opens the socket (and keeps it open, reconnecting with backoff then syncing). */
  connect() {
    this.wanted = true;
    if (!this.ws) this.open();
  }
  /** Closes the socket and stops reconnecting. */
  disconnect() {
    this.wanted = false;
    clearTimeout(this.retryTimer);
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000);
    this.setSocket('offline');
  }
  setSocket(/** @type {SocketState} */ s) {
    if (this.socketState !== s) { this.socketState = s; this.emit('socket', s); }
  }
  open() {
    if (!this.session) return;
    const url = this.baseUrl.replace(/^http/, 'ws') + '/api/v1/ws';
    const ws = new this.WS(url);
    this.ws = ws;
    this.setSocket('connecting');
    // The sync rides on the connect: `ready` answers it, so a reconnect is one round trip.
    const sync = { cursor: this.syncCursor };
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', id: 'auth', data: { token: this.session?.access_token, sync } }));
    ws.onmessage = (ev) => {
      let f;
      try { f = JSON.parse(ev.data); } catch { return; }
      this.onFrame(ws, f);
    };
    ws.onclose = (ev) => this.onClose(ws, ev.code);
  }
  onFrame(ws, f) {
    if (f.type === 'ready') {
      this.attempt = 0;
      this.setSocket('online');
      this.emit('ready', f.data);
      if (f.data?.sync) this.applySync(f.data.sync).catch((e) => console.warn('sync failed', e));
      else this.resync();
      return;
    }
    if ((f.type === 'ack' || f.type === 'error' || f.type === 'pong') && f.id && this.pending.has(f.id)) {
      const p = this.pending.get(f.id);
      this.pending.delete(f.id);
      if (f.type === 'error') p.reject(new ApiError(0, f.data?.code, f.data?.message));
      else p.resolve(f.data?.result ?? f.data);
      return;
    }
    if (f.type === 'error' && f.id === 'auth') { this.authFailed = f.data?.code; return; }
    if (f.type === 'message.new' || f.type === 'message.edited') this.onPushedMessage(f.data);
    if (f.type === 'message.recalled') {
      const m = this.messages.get(f.data.conversation_id, f.data.seq);
      if (m) this.store({ ...m, body: {}, recalled_at: f.data.recalled_at });
    }
    if (f.type === 'resync') this.resync();
    this.emit(f.type, f.data);
  }
  onPushedMessage(msg) {
    const last = this.messages.lastSeq(msg.conversation_id);
    if (last > 0 && msg.seq > last + 1) {
      this.emit('gap', { conversation_id: msg.conversation_id });
      this.catchUp(msg.conversation_id).catch(() => {});
    }
    this.store(msg);
  }
  /** `GET /sync`, then the gaps it points at (after `resync`, or a `ready` without `sync`). */
  async resync() {
    try {
      await this.sync();
    } catch (e) { console.warn('sync failed', e); }
  }
  async onClose(ws, code) {
    if (this.ws !== ws) return;
    this.ws = null;
    for (const p of this.pending.values()) p.reject(new ApiError(0, 'socket_closed', 'socket closed'));
    this.pending.clear();
    this.setSocket('offline');
    if (!this.wanted) return;
    if (code === 4001) { this.signedOut(); return; }
    if (code === 4401 || this.authFailed) {
      this.authFailed = null;
      try { await this.refresh(); } catch { return; }
    }
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)] * (0.75 + Math.random() / 2);
    this.attempt++;
    this.retryTimer = setTimeout(() => { if (this.wanted && !this.ws) this.open(); }, delay);
  }
  /** Sends a command frame; resolves with its `ack` result (rejects on `error`). */
  command(type, data) {
    return new Promise((resolve, reject) => {
      if (!this.ws || this.socketState !== 'online') return reject(new ApiError(0, 'socket_closed', 'not connected'));
      const id = randomId().slice(0, 32);
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ type, id, data }));
      setTimeout(() => {
        if (this.pending.delete(id)) reject(new ApiError(0, 'socket_closed', 'no answer'));
      }, 10000);
    });
  }
}

async function readError(resp) {
  let e = {};
  try { e = (await resp.json())?.error ?? {}; } catch { /* not JSON */ }
  return new ApiError(resp.status, e.code ?? 'http_error', e.message ?? resp.statusText, e.field);
}
