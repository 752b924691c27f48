// The console as an analyst meets it: signing in with a user name and an API
// token, the home page, signing out; each page checked by axe-core.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch, newPage, screenshot } from '../lib/browser.js';
import { assertAccessible, assertKeyboardReachable, signIn, submit } from '../lib/console.js';
import { demoNode, screenshotDir, state } from '../lib/env.js';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a page of the console asked for without a session leads to sign-in, and back after it', async () => {
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

test('the sign-in page can be used by keyboard alone: every control is reached by Tab', async () => {
  const node = demoNode('us');
  const page = await newPage(browser);
  await page.goto(node.url + '/ui/signin');
  await assertKeyboardReachable(page, 'sign-in');
  await page.context().close();
});

test('signing in by keyboard alone: type, Tab, type, Enter', async () => {
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

test('a wrong token is refused on the sign-in page with a message', async () => {
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

test('the Russian service signs in with its token and sees its home page: alerts, operation IGLA, partners', async () => {
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

test('every control of the home page is reached by Tab', async () => {
  const node = demoNode('ru');
  const page = await newPage(browser);
  await signIn(page, node);
  assert.equal(page.url(), node.url + '/ui/');
  await assertKeyboardReachable(page, 'home');
  await page.context().close();
});

test('signing out ends the session: the home page asks for sign-in again', async () => {
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
