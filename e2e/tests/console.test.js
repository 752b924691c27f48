// The console as an analyst meets it: signing in with a user name and an API
// token, the home page, signing out; each page checked by axe-core.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { axeViolations, describeViolations } from '../lib/axe.js';
import { launch, newPage, screenshot } from '../lib/browser.js';
import { demoNode, screenshotDir, state } from '../lib/env.js';

// Known bug in the console at the time of writing: it answers with
// Referrer-Policy: no-referrer, so browsers send `Origin: null` with its own
// forms' POSTs (Fetch standard, "serializing a request origin"), and it
// refuses them as cross-site: nobody can sign in from a browser. While
// Chromium's sign-in POST is still refused so, the tests that need a browser
// signed in run as TODO (they run and report, but do not fail the run); once
// it is fixed they count. See e2e/README.md.
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
const signInTodo = (await refusesOwnForms(state.node))
  ? 'known bug: the console refuses its own sign-in form sent by a browser (Origin: null under Referrer-Policy: no-referrer)'
  : false;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

// submit does what sends a form (a click, a key) and waits for the page
// that answers it to load.
async function submit(page, action) {
  await Promise.all([page.waitForEvent('load'), action()]);
}

// signIn fills the sign-in form as a person would: by the fields' labels.
async function signIn(page, node, { user = node.user, secret = node.token } = {}) {
  await page.goto(node.url + '/ui/signin');
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password or API token').fill(secret);
  await submit(page, () => page.getByRole('button', { name: 'Sign in' }).click());
}

async function assertAccessible(page, what) {
  const violations = await axeViolations(page);
  assert.equal(violations.length, 0, `${what}: serious or critical accessibility violations:\n${describeViolations(violations)}`);
}

test('a page of the console asked for without a session leads to sign-in, and back after it', { todo: signInTodo }, async () => {
  const node = state.node;
  const page = await newPage(browser);
  await page.goto(node.url + '/ui/');
  assert.equal(new URL(page.url()).pathname, '/ui/signin');
  await page.getByLabel('User name').fill(node.user);
  await page.getByLabel('Password or API token').fill(node.token);
  await submit(page, () => page.getByRole('button', { name: 'Sign in' }).click());
  assert.equal(page.url(), node.url + '/ui/');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the sign-in page is accessible: labelled fields, one heading', async () => {
  const node = demoNode('ru');
  const page = await newPage(browser);
  await page.goto(node.url + '/ui/signin');
  assert.equal(await page.getByRole('heading', { level: 1 }).count(), 1);
  assert.ok(await page.getByLabel('User name').isVisible());
  assert.ok(await page.getByLabel('Password or API token').isVisible());
  await assertAccessible(page, 'sign-in');
  await screenshot(page, screenshotDir, 'signin');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

const CONTROLS = 'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])';

const countControls = (page) => page.evaluate((sel) => document.querySelectorAll(sel).length, CONTROLS);

// tabOrder presses Tab until focus comes back round to a control it has
// seen, and returns the controls that got focus, in order (by their place in
// the page, and what they say).
async function tabOrder(page, max = 100) {
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

const describeOrder = (reached) => reached.map((r) => `${r.at}:${r.what}`).join(' | ');

test('the sign-in page can be used by keyboard alone: every control is reached by Tab', async () => {
  const node = demoNode('us');
  const page = await newPage(browser);
  await page.goto(node.url + '/ui/signin');
  const controls = await countControls(page);
  const reached = await tabOrder(page);
  assert.equal(reached.length, controls, `reached by Tab: ${describeOrder(reached)}`);
  await page.context().close();
});

test('signing in by keyboard alone: type, Tab, type, Enter', { todo: signInTodo }, async () => {
  const node = demoNode('us');
  const page = await newPage(browser);
  await page.goto(node.url + '/ui/signin');
  await page.getByLabel('User name').focus(); // it has autofocus; a headless page may not honour it
  await page.keyboard.type(node.user);
  await page.keyboard.press('Tab');
  await page.keyboard.type(node.token);
  await submit(page, () => page.keyboard.press('Enter'));
  assert.equal(page.url(), node.url + '/ui/');
  await page.context().close();
});

test('a wrong token is refused on the sign-in page with a message', { todo: signInTodo }, async () => {
  const node = demoNode('ru');
  const page = await newPage(browser);
  await signIn(page, node, { secret: 'lsn_this-is-not-the-token' });
  assert.equal(new URL(page.url()).pathname, '/ui/signin');
  const alert = page.getByRole('alert');
  assert.ok(await alert.isVisible(), 'a refused sign-in says so');
  assert.ok((await alert.textContent()).trim().length > 0);
  await assertAccessible(page, 'sign-in refused');
  // The answer to a wrong token is a 4xx; nothing else may have failed.
  assert.deepEqual(page.problems.filter((p) => !/HTTP 4\d\d: POST .*\/ui\/signin|status of 4\d\d/.test(p)), []);
  await page.context().close();
});

test('the Russian service signs in with its token and sees its home page: alerts, operation IGLA, partners', { todo: signInTodo }, async () => {
  const node = demoNode('ru');
  const page = await newPage(browser);
  await signIn(page, node);
  assert.equal(page.url(), node.url + '/ui/');
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  for (const name of ['Live alerts', 'My operations', 'Partner sync health', 'Recent activity']) {
    assert.ok(await page.getByRole('heading', { name, level: 2 }).isVisible(), `heading ${name}`);
  }
  assert.ok(await page.getByRole('link', { name: 'IGLA', exact: true }).isVisible(), 'operation IGLA is listed');
  // The demo raised alerts at the Russian node (the dealer's handset).
  assert.ok(await page.locator('#alerts li:not(.empty)').count() > 0, 'the case raised alerts');
  await assertAccessible(page, 'home');
  await screenshot(page, screenshotDir, 'home');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('every control of the home page is reached by Tab', { todo: signInTodo }, async () => {
  const node = demoNode('ru');
  const page = await newPage(browser);
  await signIn(page, node);
  assert.equal(page.url(), node.url + '/ui/');
  const controls = await countControls(page);
  const reached = await tabOrder(page, controls + 20);
  assert.equal(reached.length, controls, `reached by Tab: ${describeOrder(reached)}`);
  await page.context().close();
});

test('signing out ends the session: the home page asks for sign-in again', { todo: signInTodo }, async () => {
  const node = demoNode('gb');
  const page = await newPage(browser);
  await signIn(page, node);
  assert.equal(page.url(), node.url + '/ui/');
  await submit(page, () => page.getByRole('button', { name: 'Sign out' }).click());
  assert.equal(new URL(page.url()).pathname, '/ui/signin');
  await page.goto(node.url + '/ui/');
  assert.equal(new URL(page.url()).pathname, '/ui/signin');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
