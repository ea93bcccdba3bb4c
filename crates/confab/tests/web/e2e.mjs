// End-to-end test of the web client in headless Chromium, run by tests/it/web.rs against a
// real node: `node e2e.mjs` with CONFAB_BASE_URL, CONFAB_CHROMIUM and CONFAB_SCREENS set.
// Prints one line per step; asks the Rust side to restart the node by printing
// "@@restart" and reading "down" then "up" on stdin, and to run the CLI against its store
// with "@@cli ARGS…" (answered "ok"). Exits non-zero on the first failure.
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';

const BASE = process.env.CONFAB_BASE_URL;
const SCREENS = process.env.CONFAB_SCREENS;
const PASSWORD = 'correct horse battery staple';
const XSS = '<img src=x onerror="window.__xss=1">';
const PNG = gradientPng(240, 160);

/** A small RGB PNG with a colour gradient (made here: the test ships no binary files). */
function gradientPng(w, h) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0; // filter: none
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = Math.round((255 * x) / w);
      raw[o + 1] = Math.round((180 * y) / h) + 40;
      raw[o + 2] = 200;
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
// Generous: CI runs this beside the rest of the suite on two cores. Waits end as soon as
// the page is right; only a broken client uses them up.
const T = 30000;

mkdirSync(SCREENS, { recursive: true });
const stdin = createInterface({ input: process.stdin });
const lines = [];
const waiters = [];
stdin.on('line', (l) => { const w = waiters.shift(); if (w) w(l); else lines.push(l); });
const readLine = () => new Promise((r) => { if (lines.length) r(lines.shift()); else waiters.push(r); });

/** Runs `confab <args>` against the node's store (the Rust side does it). */
async function cli(args) {
  console.log(`@@cli ${args}`);
  const answer = await readLine();
  check(answer === 'ok', `confab ${args}: ${answer}`);
}

let shot = 0;
const step = (name) => console.log(`step: ${name}`);
async function snap(page, name) {
  shot += 1;
  await page.screenshot({ path: join(SCREENS, `${String(shot).padStart(2, '0')}-${name}.png`) });
}
function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CONFAB_CHROMIUM,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});
const problems = [];
const consoleLog = [];
async function person(name, viewport = { width: 1000, height: 720 }) {
  const ctx = await browser.newContext({ viewport });
  ctx.setDefaultTimeout(T);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on('console', (m) => {
    consoleLog.push(`${name}: ${m.type()}: ${m.text()}`);
    if (m.type() === 'error' && !/Failed to load resource|ERR_CONNECTION_REFUSED|WebSocket connection/.test(m.text())) problems.push(`${name}: console: ${m.text()}`);
  });
  page.on('dialog', (d) => { problems.push(`${name}: unexpected browser dialog: ${d.message()}`); d.dismiss(); });
  await page.goto(BASE + '/');
  return page;
}

async function signUp(page, username, nickname) {
  await page.getByRole('tab', { name: 'Sign up' }).click();
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Display name').fill(nickname);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.locator('#conn[data-state="online"]').waitFor();
}
const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: new RegExp(`^${name}`) }).click();

async function befriend(from, to, toUsername) {
  await nav(from, 'Contacts');
  await from.getByLabel('Username, nickname, email or phone').fill(toUsername);
  await from.getByRole('button', { name: 'Search' }).click();
  await from.getByRole('list', { name: 'Search results' }).getByRole('button', { name: 'Add friend' }).click();
  await from.getByRole('dialog').getByRole('button', { name: 'Send request' }).click();
  await nav(to, 'Contacts');
  await to.getByRole('list', { name: 'Requests to me' }).getByRole('button', { name: 'Accept' }).click();
  await to.getByRole('list', { name: 'Friends' }).locator('.person').first().waitFor();
}
const convButton = (page, title) => page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: title });
const messages = (page) => page.getByRole('log', { name: 'Messages' });
const bubble = (page, text) => messages(page).locator('.msg .text', { hasText: text });

async function send(page, text) {
  await page.getByRole('textbox', { name: 'Write a message' }).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

try {
  step('sign up alice and bob in two browser contexts');
  const alice = await person('alice');
  const bob = await person('bob', { width: 390, height: 800 }); // a phone-sized screen
  await snap(alice, 'sign-in-page');
  await signUp(alice, 'alice', 'Alice');
  await signUp(bob, 'bob', 'Bob');
  await snap(bob, 'signed-up-phone');

  step('alice finds bob and sends a friend request; bob accepts');
  await befriend(alice, bob, 'bob');
  await snap(bob, 'friends');

  step('chat both ways in real time');
  await nav(alice, 'Chats');
  await nav(bob, 'Chats');
  await convButton(alice, /Bob/).click();
  await bubble(alice, 'Hi, it is Alice!').waitFor(); // the greeting opened the chat
  await send(alice, 'hello bob');
  await bubble(alice, 'hello bob').waitFor();

  step('unread badge appears on bob\'s list and clears when he reads');
  const badge = convButton(bob, /Alice/).getByTestId('unread');
  await badge.waitFor();
  check(Number(await badge.textContent()) >= 2, 'bob has the greeting and the message unread');
  await snap(bob, 'unread-badge');
  await convButton(bob, /Alice/).click();
  await bubble(bob, 'hello bob').waitFor();
  // Keyboard only: focus the composer, type, Enter sends.
  await bob.getByRole('textbox', { name: 'Write a message' }).focus();
  await bob.keyboard.type('hi alice');
  await bob.keyboard.press('Enter');
  await bubble(alice, 'hi alice').waitFor();
  await bob.getByRole('button', { name: 'Back' }).click(); // a phone shows one pane at a time
  await convButton(bob, /Alice/).waitFor();
  check(await convButton(bob, /Alice/).getByTestId('unread').count() === 0, 'the badge cleared');
  await alice.getByTestId('read-mark').first().waitFor(); // bob's read mark reached alice
  await snap(alice, 'chat');

  step('an image message renders for the other side');
  await convButton(bob, /Alice/).click();
  await alice.locator('.composer input[type=file]').setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: PNG });
  const img = messages(bob).locator('img.image').first();
  await img.waitFor();
  await bob.waitForFunction(() => {
    const i = document.querySelector('.messages img.image');
    return i && i.complete && i.naturalWidth > 0 && i.src.startsWith('blob:');
  });
  await snap(bob, 'image');
  await alice.waitForFunction(() => document.querySelector('.messages img.image')?.naturalWidth > 0);
  await alice.screenshot({ path: join(SCREENS, 'web-client.png') }); // the README's picture

  step('the server restarts: both reconnect and nothing is lost or duplicated');
  console.log('@@restart');
  check(await readLine() === 'down', 'the node went down');
  await alice.locator('#conn:not([data-state="online"])').waitFor();
  await send(alice, 'sent while the server was down'); // retried with the same client id
  check(await readLine() === 'up', 'the node came back');
  await alice.locator('#conn[data-state="online"]').waitFor({ timeout: 60000 });
  await bob.locator('#conn[data-state="online"]').waitFor({ timeout: 60000 });
  await bubble(bob, 'sent while the server was down').waitFor({ timeout: 60000 });
  await send(bob, 'after the restart');
  await bubble(alice, 'after the restart').waitFor();
  for (const [page, who] of [[alice, 'alice'], [bob, 'bob']]) {
    const texts = await messages(page).locator('.msg .text').allTextContents();
    for (const t of ['hello bob', 'hi alice', 'sent while the server was down', 'after the restart']) {
      check(texts.filter((x) => x === t).length === 1, `${who} shows "${t}" exactly once (has ${JSON.stringify(texts)})`);
    }
    const seqs = await messages(page).locator('.msg').evaluateAll((els) => els.map((e) => Number(e.dataset.seq)));
    check(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), `${who}'s messages are in seq order: ${seqs}`);
  }
  await snap(alice, 'after-restart');

  step('an injected <img onerror> in a nickname and in a message renders as text');
  const carol = await person('carol');
  await signUp(carol, 'carol', XSS);
  await send(alice, XSS);
  await bubble(bob, XSS).waitFor();
  await befriend(carol, alice, 'alice');
  await alice.getByRole('list', { name: 'Friends' }).getByText(XSS, { exact: true }).waitFor();
  for (const page of [alice, bob, carol]) {
    check(await page.evaluate(() => window.__xss === undefined), 'no injected handler ran');
    check(await page.locator('img[src="x"]').count() === 0, 'no injected element exists');
  }
  await snap(alice, 'escaped-nickname');

  step('a group of three: the kicked user loses the group');
  await nav(alice, 'Groups');
  await alice.getByLabel('Group name').first().fill('Trio');
  const pick = alice.getByRole('group', { name: 'Add friends' });
  await pick.getByLabel('Bob').check();
  await pick.getByLabel(XSS).check();
  await alice.getByRole('button', { name: 'Create group' }).click();
  await alice.getByRole('heading', { name: 'Trio' }).waitFor();
  await nav(carol, 'Chats');
  await convButton(carol, /Trio/).waitFor();
  await convButton(carol, /Trio/).click();
  await messages(carol).locator('.msg.system').first().waitFor();
  await snap(carol, 'group-member');
  await alice.getByRole('button', { name: `Remove ${XSS} from the group` }).click();
  await convButton(carol, /Trio/).waitFor({ state: 'detached' });
  await carol.reload();
  await carol.locator('#conn[data-state="online"]').waitFor();
  await convButton(carol, /Bob|Alice|World/).first().waitFor().catch(() => {});
  await carol.waitForTimeout(0);
  check(await convButton(carol, /Trio/).count() === 0, 'the group stays gone after a reload');
  await nav(bob, 'Chats');
  await convButton(bob, /Trio/).waitFor();
  await snap(carol, 'group-kicked');

  step('a moment is seen by a friend and not by a stranger');
  const dave = await person('dave');
  await signUp(dave, 'dave', 'Dave');
  await nav(alice, 'Moments');
  await alice.getByRole('textbox', { name: "What's new?" }).fill('sunny day at the pier');
  await alice.getByLabel('Photo', { exact: true }).setInputFiles({ name: 'pier.png', mimeType: 'image/png', buffer: PNG });
  await alice.getByRole('button', { name: 'Post', exact: true }).click();
  await alice.getByRole('list', { name: 'Feed' }).getByText('sunny day at the pier').waitFor();
  await bob.getByTestId('moments-dot').waitFor(); // the red dot
  await nav(bob, 'Moments');
  await bob.getByRole('list', { name: 'Feed' }).getByText('sunny day at the pier').waitFor();
  await bob.waitForFunction(() => [...document.querySelectorAll('.feed img.photo')].some((i) => i.naturalWidth > 0));
  await bob.getByTestId('moments-dot').waitFor({ state: 'detached' });
  await snap(bob, 'moment-friend');
  await nav(dave, 'Moments');
  await dave.getByRole('list', { name: 'Feed' }).getByText('No moments yet.').waitFor();
  check(await dave.getByText('sunny day at the pier').count() === 0, 'a stranger does not see it');
  await snap(dave, 'moment-stranger');

  step('a seat taken by one user is shown to the other');
  await nav(alice, 'Rooms');
  await alice.getByLabel('Room name').fill('Late night jazz');
  await alice.getByRole('button', { name: 'Create room' }).click();
  await alice.getByRole('list', { name: 'Mic seats' }).waitFor();
  await nav(bob, 'Rooms');
  await bob.getByRole('list', { name: 'Open rooms' }).getByRole('button', { name: 'Enter' }).click();
  await bob.getByRole('button', { name: 'Take seat 2' }).click();
  const seat2 = alice.locator('[data-seat="2"]');
  await seat2.getByTestId('seat-name').filter({ hasText: 'Bob' }).waitFor();
  check(/mic on/.test(await seat2.getAttribute('aria-label')), 'the mic state is shown');
  await bob.getByRole('button', { name: 'Turn mic off' }).click();
  await alice.locator('[data-seat="2"][aria-label*="mic off"]').waitFor();
  await bob.getByRole('textbox', { name: 'Say something' }).fill('great set!');
  await bob.getByRole('textbox', { name: 'Say something' }).press('Enter');
  await alice.getByRole('log', { name: 'Room chat' }).getByText('great set!').waitFor();
  await snap(alice, 'seat-taken');

  step('wallet: a gift with its animation, the ledger and the leaderboard');
  await cli('admin create-admin root');
  const admin = await (await fetch(`${BASE}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'root', password: PASSWORD }) })).json();
  const gift = await fetch(`${BASE}/api/v1/admin/gifts`, { method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.access_token}` },
    body: JSON.stringify({ name: 'Rose', price: 10 }) });
  check(gift.ok, `the admin made a gift (${gift.status})`);
  await cli('admin credit alice 1000 --reason welcome');
  await nav(alice, 'Wallet');
  await alice.getByTestId('coins').filter({ hasText: '1000' }).waitFor();
  await alice.getByRole('list', { name: 'Send a gift' }).locator('.person', { hasText: 'Bob' }).getByRole('button', { name: 'Send a gift' }).click();
  const giftDialog = alice.getByRole('dialog');
  await giftDialog.getByLabel('How many').fill('3');
  await giftDialog.getByRole('button', { name: 'Send', exact: true }).click();
  await alice.getByTestId('gift-animation').filter({ hasText: 'Rose × 3' }).waitFor();
  await bob.getByTestId('gift-animation').filter({ hasText: 'Rose × 3' }).waitFor(); // the receiver sees it too
  await snap(alice, 'gift-sent');
  await alice.getByTestId('coins').filter({ hasText: '970' }).waitFor();
  await alice.getByRole('list', { name: 'Leaderboard' }).getByText(/Alice — 30/).waitFor();

  step('a call rings between two contexts: answered, hung up, then one declined');
  await nav(alice, 'Chats');
  await convButton(alice, /Bob/).click();
  await alice.getByRole('button', { name: 'Call Bob', exact: true }).click();
  const aliceCall = alice.getByTestId('call-state');
  const bobCall = bob.getByTestId('call-state');
  await alice.locator('[data-testid="call-state"][data-phase="outgoing"]').waitFor();
  await bob.locator('[data-testid="call-state"][data-phase="incoming"]').filter({ hasText: 'Alice is calling you' }).waitFor();
  await snap(bob, 'call-ringing');
  await bob.getByRole('button', { name: 'Answer', exact: true }).click();
  await alice.locator('[data-testid="call-state"][data-phase="active"]').waitFor();
  await bob.locator('[data-testid="call-state"][data-phase="active"]').waitFor();
  // No SFU or TURN here: the bar says what the media path would use.
  await alice.getByTestId('call-media').filter({ hasText: /Media: peer to peer .*STUN and \d+ TURN/ }).waitFor();
  await snap(alice, 'call-active');
  await alice.getByRole('button', { name: 'Hang up', exact: true }).click();
  await aliceCall.filter({ hasText: 'ended: answered' }).waitFor();
  await bobCall.filter({ hasText: 'ended: answered' }).waitFor();
  await messages(alice).locator('.msg', { hasText: /\[Call\] \d+ s/ }).first().waitFor(); // the call's record in the chat
  await alice.getByRole('button', { name: 'Call Bob', exact: true }).click();
  await bob.locator('[data-testid="call-state"][data-phase="incoming"]').waitFor();
  await bob.getByRole('button', { name: 'Decline', exact: true }).click();
  await aliceCall.filter({ hasText: 'ended: declined' }).waitFor();
  await snap(alice, 'call-declined');

  step('join-request approval: a stranger asks to join an approval group, the owner approves');
  await nav(alice, 'Groups');
  const newGroup = alice.getByRole('region', { name: 'New group' });
  await newGroup.getByLabel('Group name').fill('Book club');
  await newGroup.getByLabel('Who can find it').selectOption('public');
  await newGroup.getByLabel('Who can join').selectOption('approval');
  await newGroup.getByRole('button', { name: 'Create group' }).click();
  await alice.getByRole('heading', { name: 'Book club' }).waitFor();
  await nav(dave, 'Groups');
  const findGroups = dave.getByRole('region', { name: 'Find public groups' });
  await findGroups.getByLabel('Group name').fill('Book club');
  await findGroups.getByRole('button', { name: 'Search' }).click();
  await dave.getByRole('list', { name: 'Groups found' }).getByRole('button', { name: 'Join', exact: true }).click();
  await dave.getByRole('status').filter({ hasText: 'Join request sent.' }).waitFor();
  await alice.getByRole('button', { name: 'Refresh', exact: true }).click();
  await alice.getByRole('list', { name: 'Join requests' }).getByText('Dave').waitFor();
  await snap(alice, 'join-request');
  await alice.getByRole('button', { name: 'Approve Dave' }).click();
  await alice.getByRole('list', { name: 'Members' }).getByText('Dave').waitFor();
  await nav(dave, 'Chats');
  await convButton(dave, /Book club/).waitFor();
  await snap(dave, 'join-approved');

  step('group settings: the owner sets an announcement');
  await alice.getByText('Group settings', { exact: true }).click();
  await alice.getByLabel('Announcement').fill('Next book: Dream of the Red Chamber');
  await alice.getByRole('button', { name: 'Save settings' }).click();
  await alice.getByTestId('group-announcement').filter({ hasText: 'Dream of the Red Chamber' }).waitFor();

  step('ban and unban: the banned user loses the group and cannot ask again until unbanned');
  await alice.getByRole('list', { name: 'Members' }).locator('.person', { hasText: 'Dave' }).getByRole('button', { name: 'Ban', exact: true }).click();
  await alice.getByRole('list', { name: 'Banned' }).getByText('Dave').waitFor();
  await convButton(dave, /Book club/).waitFor({ state: 'detached' });
  await snap(alice, 'banned');
  await nav(dave, 'Groups');
  await findGroups.getByLabel('Group name').fill('Book club');
  await findGroups.getByRole('button', { name: 'Search' }).click();
  await dave.getByRole('list', { name: 'Groups found' }).getByRole('button', { name: 'Join', exact: true }).click();
  await dave.getByRole('alert').first().waitFor(); // refused while banned
  await alice.getByRole('button', { name: 'Unban Dave' }).click();
  await alice.getByRole('list', { name: 'Banned' }).getByText('Nobody is banned.').waitFor();
  await dave.getByRole('list', { name: 'Groups found' }).getByRole('button', { name: 'Join', exact: true }).click();
  await dave.getByRole('status').filter({ hasText: 'Join request sent.' }).waitFor();
  await snap(alice, 'unbanned');

  step('password change: the new password signs in, the old one does not');
  await nav(dave, 'Me');
  await dave.getByLabel('Current password').fill(PASSWORD);
  await dave.getByLabel('New password').fill('a brand new passphrase 42');
  await dave.getByRole('button', { name: 'Change password' }).click();
  await dave.getByRole('status').filter({ hasText: 'Password changed.' }).first().waitFor();
  await snap(dave, 'password-changed');
  await dave.getByRole('button', { name: 'Sign out', exact: true }).last().click();
  await dave.getByLabel('Username, email or phone').fill('dave');
  await dave.getByLabel('Password').fill(PASSWORD);
  await dave.getByRole('button', { name: 'Sign in', exact: true }).last().click();
  await dave.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
  await dave.getByLabel('Password').fill('a brand new passphrase 42');
  await dave.getByRole('button', { name: 'Sign in', exact: true }).last().click();
  await dave.locator('#conn[data-state="online"]').waitFor();
  await snap(dave, 'signed-in-new-password');

  step('me: edit the profile, see this device among the sessions');
  await nav(bob, 'Me');
  await bob.getByLabel('Display name').fill('Bobby');
  await bob.getByRole('button', { name: 'Save' }).click();
  await bob.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  await bob.getByRole('list', { name: 'Signed-in devices' }).getByText(/this device/).waitFor();
  await snap(bob, 'me');

  step('the Simplified Chinese translation is a click away');
  await dave.getByRole('combobox', { name: 'Language' }).selectOption('zh-CN');
  await dave.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: /^消息/ }).waitFor();
  await snap(dave, 'zh-CN');

  check(problems.length === 0, `no page errors:\n${problems.join('\n')}`);
  console.log('all steps passed');
  await browser.close();
  process.exit(0);
} catch (e) {
  console.log(`FAILED: ${e.stack ?? e}`);
  if (problems.length) console.log(problems.join('\n'));
  console.log(`browser console:\n${consoleLog.slice(-40).join('\n')}`);
  for (const ctx of browser.contexts()) {
    for (const p of ctx.pages()) await p.screenshot({ path: join(SCREENS, `failure-${ctx.pages().indexOf(p)}-${browser.contexts().indexOf(ctx)}.png`) }).catch(() => {});
  }
  await browser.close();
  process.exit(1);
}
