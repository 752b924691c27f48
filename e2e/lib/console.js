// console.js: what the console tests share — signing in as a person does,
// the accessibility and keyboard checks.
import assert from 'node:assert/strict';
import { axeViolations, describeViolations } from './axe.js';
import { launch, newPage } from './browser.js';
import { state } from './env.js';

// submit does what sends a form (a click, a key) and waits for the page
// that answers it to load.
export async function submit(page, action) {
  await Promise.all([page.waitForEvent('load'), action()]);
}

// signIn fills the sign-in form as a person would: by the fields' labels.
export async function signIn(page, node, { user = node.user, secret = node.token } = {}) {
  await page.goto(node.url + '/ui/signin');
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password or API token').fill(secret);
  await submit(page, () => page.getByRole('button', { name: 'Sign in' }).click());
}

// signedIn opens a page in a new context, signed in to node as its admin.
export async function signedIn(browser, node) {
  const page = await newPage(browser);
  await signIn(page, node);
  assert.equal(page.url(), node.url + '/ui/', 'signed in');
  return page;
}

export async function assertAccessible(page, what) {
  const violations = await axeViolations(page);
  assert.equal(violations.length, 0, `${what}: serious or critical accessibility violations:\n${describeViolations(violations)}`);
}

const CONTROLS = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])';

export const countControls = (page) => page.evaluate((sel) => document.querySelectorAll(sel).length, CONTROLS);

// tabOrder presses Tab until focus comes back round to a control it has
// seen, and returns the controls that got focus, in order (by their place in
// the page, and what they say).
export async function tabOrder(page, max = 200) {
  const seen = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const el = await page.evaluate((sel) => {
      const a = document.activeElement;
      if (!a || a === document.body) return null; // focus left the page, before coming round
      const name = (a.getAttribute('aria-label') || a.textContent || a.name || '').trim().slice(0, 30);
      return { at: [...document.querySelectorAll(sel)].indexOf(a), what: `${a.tagName.toLowerCase()} ${name}` };
    }, CONTROLS);
    if (el === null) continue;
    if (seen.some((s) => s.at === el.at)) break;
    seen.push(el);
  }
  return seen;
}

// assertKeyboardReachable checks that Tab reaches every control of the page.
export async function assertKeyboardReachable(page, what) {
  const controls = await countControls(page);
  const reached = await tabOrder(page, controls + 20);
  const order = reached.map((r) => `${r.at}:${r.what}`).join(' | ');
  assert.equal(reached.length, controls, `${what}: ${controls} controls, reached by Tab: ${order}`);
}

