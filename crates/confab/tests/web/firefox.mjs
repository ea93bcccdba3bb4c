// The web client's core scenario in Firefox, run by tests/it/web/browser.rs against a real
// node: `node firefox.mjs` with CONFAB_BASE_URL, CONFAB_FIREFOX (Debian's firefox-esr) and
// CONFAB_SCREENS set. Stock Firefox is driven over WebDriver BiDi by puppeteer-core (no
// browser download: Playwright's Firefox needs its own patched build). Two users sign up,
// befriend, chat both ways in real time (one with the keyboard only), and a nickname and a
// message carrying `<img onerror>` render as text. One line per step, a screenshot per step;
// exits non-zero on the first failure.
import puppeteer from 'puppeteer-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const BASE = process.env.CONFAB_BASE_URL;
const SCREENS = process.env.CONFAB_SCREENS;
const PASSWORD = 'correct horse battery staple';
const XSS = '<img src=x onerror="window.__xss=1">';
// Generous: CI runs this beside the rest of the suite on two cores. Waits end as soon as
// the page is right.
const T = 45000;

mkdirSync(SCREENS, { recursive: true });
let shot = 0;
const step = (name) => console.log(`step: ${name}`);
async function snap(page, name) {
  shot += 1;
  await page.screenshot({ path: join(SCREENS, `${String(shot).padStart(2, '0')}-${name}.png`) });
}
function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

const browser = await puppeteer.launch({
  browser: 'firefox',
  protocol: 'webDriverBiDi',
  executablePath: process.env.CONFAB_FIREFOX,
  headless: true,
  dumpio: !!process.env.CONFAB_BROWSER_LOG,
  // Offline and quiet: no update checks, no telemetry, no first-run pages.
  extraPrefsFirefox: { 'app.update.enabled': false, 'browser.shell.checkDefaultBrowser': false, 'toolkit.telemetry.enabled': false },
});
const problems = [];

async function person(name, viewport = { width: 1000, height: 720 }) {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  page.setDefaultTimeout(T);
  await page.setViewport(viewport);
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|NetworkError|WebSocket|can.t establish a connection/i.test(m.text())) problems.push(`${name}: console: ${m.text()}`);
  });
  page.on('dialog', (d) => { problems.push(`${name}: unexpected browser dialog: ${d.message()}`); d.dismiss(); });
  await page.goto(BASE + '/');
  return page;
}

/** Waits for the element matching `css` (inside `within`, if given) whose text is or contains `text`, and returns it. */
async function find(page, css, text, { within = 'body', exact = false } = {}) {
  const handle = await page.waitForFunction((within, css, text, exact) => {
    for (const root of document.querySelectorAll(within)) {
      for (const el of root.querySelectorAll(css)) {
        const s = (el.textContent ?? '').trim();
        if (text === null || (exact ? s === text : s.includes(text))) return el;
      }
    }
    return null;
  }, { timeout: T, polling: 100 }, within, css, text, exact);
  return handle.asElement();
}
/**
 * Clicks the element `find` would return, found and clicked in one step inside the page:
 * the client re-renders parts of the page (the tab bar on every badge change), so a handle
 * held across two protocol calls can go stale.
 */
async function click(page, css, text, { within = 'body', exact = false } = {}) {
  await page.waitForFunction((within, css, text, exact) => {
    for (const root of document.querySelectorAll(within)) {
      for (const el of root.querySelectorAll(css)) {
        const s = (el.textContent ?? '').trim();
        if (text === null || (exact ? s === text : s.includes(text))) { el.click(); return true; }
      }
    }
    return false;
  }, { timeout: T, polling: 100 }, within, css, text, exact);
}
const nav = (page, screen) => click(page, `a[href="#${screen}"]`, null, { within: 'nav' });

async function fill(page, css, value) {
  const el = await page.waitForSelector(css, { visible: true });
  await el.click({ count: 3 });
  await el.evaluate((e) => { e.value = ''; });
  await el.type(value);
}

async function signUp(page, username, nickname) {
  await click(page, '[role="tab"]', 'Sign up', { exact: true });
  await fill(page, 'input[name="username"]', username);
  await fill(page, 'input[name="nickname"]', nickname);
  await fill(page, 'input[name="password"]', PASSWORD);
  await click(page, 'button[type="submit"]', 'Create account', { exact: true });
  await page.waitForSelector('#conn[data-state="online"]');
}

async function befriend(from, to, toUsername) {
  await nav(from, 'contacts');
  await fill(from, 'input[name="q"]', toUsername);
  await click(from, 'button[type="submit"]', 'Search', { exact: true });
  await click(from, 'button', 'Add friend', { within: 'ul[aria-label="Search results"]', exact: true });
  await click(from, 'button', 'Send request', { within: 'dialog', exact: true });
  await nav(to, 'contacts');
  await click(to, 'button', 'Accept', { within: 'ul[aria-label="Requests to me"]', exact: true });
  await to.waitForSelector('ul[aria-label="Friends"] .person');
}

const openChat = (page, title) => click(page, 'button.conv', title, { within: 'ul[aria-label="Conversations"]' });
const bubble = (page, text) => find(page, '.msg .text', text, { within: '.messages', exact: true });

async function send(page, text) {
  await fill(page, 'textarea[aria-label="Write a message"]', text);
  await click(page, 'form.composer button[type="submit"]', 'Send', { exact: true });
}

try {
  const version = await browser.version();
  step(`sign up alice and bob in two Firefox contexts (${version})`);
  check(/firefox/i.test(version), `the browser is Firefox: ${version}`);
  const alice = await person('alice');
  const bob = await person('bob', { width: 390, height: 800 }); // a phone-sized screen
  await snap(alice, 'ff-sign-in-page');
  await signUp(alice, 'alice', 'Alice');
  await signUp(bob, 'bob', 'Bob');
  await snap(bob, 'ff-signed-up-phone');

  step('alice finds bob and sends a friend request; bob accepts');
  await befriend(alice, bob, 'bob');
  await snap(bob, 'ff-friends');

  step('chat both ways in real time');
  await nav(alice, 'chats');
  await nav(bob, 'chats');
  await openChat(alice, 'Bob');
  await bubble(alice, 'Hi, it is Alice!'); // the greeting opened the chat
  await send(alice, 'hello bob');
  await bubble(alice, 'hello bob');
  await openChat(bob, 'Alice');
  await bubble(bob, 'hello bob');
  // Keyboard only: focus the composer, type, Enter sends.
  await bob.focus('textarea[aria-label="Write a message"]');
  await bob.keyboard.type('hi alice');
  await bob.keyboard.press('Enter');
  await bubble(alice, 'hi alice');
  await snap(alice, 'ff-chat');

  step('an injected <img onerror> in a nickname and in a message renders as text');
  const carol = await person('carol');
  await signUp(carol, 'carol', XSS);
  await send(alice, XSS);
  await bubble(bob, XSS);
  await befriend(carol, alice, 'alice');
  await find(alice, '.person strong', XSS, { within: 'ul[aria-label="Friends"]', exact: true });
  for (const page of [alice, bob, carol]) {
    check(await page.evaluate(() => window.__xss === undefined), 'no injected handler ran');
    check(await page.evaluate(() => document.querySelectorAll('img[src="x"]').length) === 0, 'no injected element exists');
  }
  await snap(alice, 'ff-escaped-nickname');
  await snap(bob, 'ff-escaped-message');

  check(problems.length === 0, `no page errors:\n${problems.join('\n')}`);
  console.log('all steps passed');
  await browser.close();
  process.exit(0);
} catch (e) {
  console.log(`FAILED: ${e.stack ?? e}`);
  if (problems.length) console.log(problems.join('\n'));
  let i = 0;
  for (const p of await browser.pages().catch(() => [])) {
    i += 1;
    await p.screenshot({ path: join(SCREENS, `failure-${i}.png`) }).catch(() => {});
  }
  await browser.close().catch(() => {});
  process.exit(1);
}
