// The client's shared state: the SDK client, caches of users, conversations and groups,
// and a tiny change notifier the screens subscribe to.
import { ConfabClient } from '../sdk/confab.js';

export const client = new ConfabClient();

/** Caches filled from the API and events. */
export const app = {
  /** @type {Map<string, Object>} conversation id → ConversationOut */
  convs: new Map(),
  /** @type {Map<string, Object>} user id → UserOut */
  users: new Map(),
  /** @type {Map<string, Object>} conversation id → GroupOut */
  groups: new Map(),
  /** @type {Map<string, Object>} user id → FriendOut */
  friends: new Map(),
  /** @type {Set<string>} conversations I left or was removed from */
  gone: new Set(),
  /** the world channel's conversation id */
  world: null,
  /** the open conversation id */
  current: null,
  /** the moments dots from sync */
  momentsBadge: null,
  totalUnread: 0,
};

const subs = new Map();

/** Subscribes to a topic (`convs`, `friends`, `requests`, `badge`); returns the unsubscriber. */
export function watch(topic, fn) {
  if (!subs.has(topic)) subs.set(topic, new Set());
  subs.get(topic).add(fn);
  return () => subs.get(topic)?.delete(fn);
}

/** Tells the subscribers of `topic` something changed. */
export function changed(topic) {
  for (const fn of subs.get(topic) ?? []) {
    try { fn(); } catch (e) { console.error(e); }
  }
}

/** A user's public profile, from the cache or the API. */
export async function user(id) {
  if (!id) return null;
  if (app.users.has(id)) return app.users.get(id);
  try {
    const u = await client.get(`/users/${id}`);
    app.users.set(id, u);
    return u;
  } catch {
    return { id, username: id, nickname: '' };
  }
}

/** Remembers profiles seen in answers. */
export function remember(...users) {
  for (const u of users) if (u?.id) app.users.set(u.id, { ...app.users.get(u.id), ...u });
}

/** The group of a group conversation (cached); null when I may not see it. */
export async function groupOf(convId) {
  if (app.groups.has(convId)) return app.groups.get(convId);
  try {
    const g = await client.get(`/groups/by-conversation/${convId}`);
    app.groups.set(convId, g);
    return g;
  } catch {
    return null;
  }
}
