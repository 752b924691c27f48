// console.js: what the console tests share — signing in as a person does,
// the accessibility and keyboard checks, and the probe for a known bug.
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

// Known bug in the console at the time of writing: it answers with
// Referrer-Policy: no-referrer, so browsers send `Origin: null` with its own
// forms' POSTs (Fetch standard, "serializing a request origin"), and it
// refuses them as cross-site: nobody can sign in from a browser. While
// Chromium's sign-in POST is still refused so, the tests that need a browser
// signed in run as TODO (they run and report, but do not fail the run); once
// it is fixed they count, with no change here. See e2e/README.md.
async function refusesOwnForms(node) {
  const probe = await launch();
  try {
    const page = await newPage(probe);
    await page.goto(node.url + '/ui/signin');
    // The empty form, sent past the browser's own check of required fields:
    // 400 from a console that reads it (no failed sign-in is counted), 403
    // from one that refuses it unread.
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.evaluate(() => document.querySelector('form[action="/ui/signin"]').submit()),
    ]);
    return res.status() === 403;
  } finally {
    await probe.close();
  }
}

// signInTodo is the `todo` option of a test that needs a signed-in browser.
export const signInTodo = (await refusesOwnForms(state.node))
  ? 'known bug: the console refuses its own sign-in form sent by a browser (Origin: null under Referrer-Policy: no-referrer)'
  : false;
