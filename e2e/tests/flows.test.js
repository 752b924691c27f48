// What an analyst does in the console, end to end, beyond reading pages: a
// handoff proposed at one node and accepted from the board at another, an
// alert arriving live on the home page, a bundle imported with its progress
// bar, and an object a user may not see answering like a missing one.
//
// The `serve` node gets a second organisation for these (the E2E Partner
// Agency, US) with a user, and a collection both may read and write, made
// with liaison's admin commands on its data directory while it runs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { launch, newPage, screenshot } from '../lib/browser.js';
import { assertAccessible, signIn, signedIn, submit } from '../lib/console.js';
import { demoNode, screenshotDir, state } from '../lib/env.js';
import { admin, api, collectionTitled, sdo, taxiiAdd, until } from '../lib/node.js';

const partner = { org: 'E2E Partner Agency', user: 'partner' };

let browser;
before(async () => {
  browser = await launch();
  const node = state.node;
  admin('org', 'add', '--name', partner.org, '--country', 'US');
  partner.token = admin('user', 'add', '--org', partner.org, '--name', partner.user, '--clearance', 'SECRET');
  partner.shared = admin('collection', 'add', '--title', 'Shared with the partner',
    '--read', node.name, '--read', partner.org, '--write', node.name, '--write', partner.org);
});
after(async () => {
  await browser?.close();
});

let accepted; // the operation and handoff of the test below, once accepted

test('a handoff proposed at the lead\'s node is accepted from the board at the receiving node, and custody passes', async () => {
  const ru = demoNode('ru');
  const gb = demoNode('gb');
  // The demo closes IGLA with every handoff decided: open a new operation
  // following the same dealer, and assign him to the British service.
  const igla = (await api(ru, 'GET', '/api/v1/operations')).operations.find((o) => o.name === 'IGLA');
  const dealer = igla.subject_refs[0];
  const op = await api(ru, 'POST', '/api/v1/operations', {
    name: `KESTREL ${Date.now()}`, objective: 'Follow the dealer after his release', members: ['British Security Service'],
    subjects: [dealer], collection: await collectionTitled(ru, 'Joint operation'),
  });
  const handoff = await api(ru, 'POST', `/api/v1/operations/${op.id}/handoffs`, {
    subject: dealer, to: 'British Security Service', to_team: 'A4 surveillance', reason: 'he lands at Heathrow tonight',
  });
  // Federation brings the operation and the proposal to the British node.
  await until('the handoff at the British node', async () => {
    try {
      const view = await api(gb, 'GET', `/api/v1/operations/${op.id}`);
      return view.pending_handoffs.some((h) => h.id === handoff.id);
    } catch {
      return false; // not there yet
    }
  });

  const page = await signedIn(browser, gb);
  const board = `${gb.url}/ui/operations/${op.id}`;
  await page.goto(board);
  const custody = page.getByRole('region', { name: 'Custody now' }).getByRole('row').filter({ hasText: 'Semyon' });
  assert.match(await custody.textContent(), /nobody holds it now/);
  const pending = page.getByRole('region', { name: 'Pending handoffs' });
  await submit(page, () => pending.getByRole('button', { name: /^Accept the handoff of / }).click());
  assert.equal(page.url(), `${board}?decided=accepted#handoffs`);
  assert.ok(await page.getByText('Handoff accepted.', { exact: true }).isVisible());
  const cells = await custody.getByRole('cell').allTextContents();
  assert.deepEqual(cells.slice(2, 4), ['British Security Service', 'A4 surveillance'], `custody now: ${cells.join(' | ')}`);
  assert.ok(await pending.getByText('No handoff is waiting for a decision.').isVisible());
  await screenshot(page, screenshotDir, 'handoff-accepted');
  assert.deepEqual(page.problems, []);
  await page.context().close();
  accepted = { op, handoff };
});

// The board writes the decision where joint.WriteTarget puts it: the
// collection the user may write that the most other members of the
// operation read (here the British "Joint operation" collection, pushed to
// the Russian node), not the inbox the operation arrived in, which goes
// nowhere.
test('the lead\'s node learns of the handoff accepted from the board', async () => {
  assert.ok(accepted, 'the handoff was accepted');
  const ru = demoNode('ru');
  await until('the decision at the Russian node', async () => {
    const view = await api(ru, 'GET', `/api/v1/operations/${accepted.op.id}`);
    return !view.pending_handoffs.some((h) => h.id === accepted.handoff.id);
  }, 15);
});

test('the lead\'s board shows the new custodian, without a reload, when the receiving node accepts', async () => {
  const ru = demoNode('ru');
  const gb = demoNode('gb');
  const igla = (await api(ru, 'GET', '/api/v1/operations')).operations.find((o) => o.name === 'IGLA');
  const dealer = igla.subject_refs[0];
  const op = await api(ru, 'POST', '/api/v1/operations', {
    name: `MERLIN ${Date.now()}`, objective: 'Follow the dealer on his next trip', members: ['British Security Service'],
    subjects: [dealer], collection: await collectionTitled(ru, 'Joint operation'),
  });
  const handoff = await api(ru, 'POST', `/api/v1/operations/${op.id}/handoffs`, {
    subject: dealer, to: 'British Security Service', to_team: 'A4 surveillance',
  });
  await until('the handoff at the British node', async () => {
    try {
      const view = await api(gb, 'GET', `/api/v1/operations/${op.id}`);
      return view.pending_handoffs.some((h) => h.id === handoff.id);
    } catch {
      return false;
    }
  });

  const page = await signedIn(browser, ru);
  await page.goto(`${ru.url}/ui/operations/${op.id}`);
  const custody = () => page.getByRole('region', { name: 'Custody now' }).getByRole('row').filter({ hasText: 'Semyon' });
  assert.match(await custody().textContent(), /nobody holds it now/);
  await page.evaluate(() => { window.e2eSamePage = true; });

  await api(gb, 'POST', `/api/v1/operations/${op.id}/handoffs/${handoff.id}/decision`, { decision: 'accepted' });
  await page.waitForFunction(() => /British Security Service/.test(
    [...document.querySelectorAll('#custody tr[data-subject]')].map((tr) => tr.textContent).join(' ')), null, { timeout: 20000 });
  const cells = await custody().getByRole('cell').allTextContents();
  assert.deepEqual(cells.slice(2, 4), ['British Security Service', 'A4 surveillance'], `custody now: ${cells.join(' | ')}`);
  assert.equal(await page.evaluate(() => window.e2eSamePage), true, 'the page was not reloaded');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('an alert arrives live on the home page when another organisation writes a value the node holds', async () => {
  const node = state.node;
  const value = `courier-${Date.now()}@example.org`;
  await taxiiAdd(node, await collectionTitled(node, 'Intelligence'), [sdo('email-addr', { value })]);

  const page = await signedIn(browser, node);
  const alerts = page.locator('#alerts');
  assert.equal(await alerts.getByText(value).count(), 0, 'no alert before the partner writes');
  await page.evaluate(() => { window.e2eSamePage = true; });

  await taxiiAdd(node, partner.shared, [sdo('email-addr', { value })], { token: partner.token });
  const row = alerts.getByRole('listitem').filter({ hasText: value });
  await row.waitFor();
  assert.match(await row.textContent(), /also held by E2E Partner Agency/);
  assert.equal(await page.evaluate(() => window.e2eSamePage), true, 'the page was not reloaded');
  await assertAccessible(page, 'home with a live alert');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a bundle imported with a live progress bar: the bar reaches its end, then the summary', async () => {
  const node = state.node;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liaison-e2e-progress-'));
  const file = path.join(dir, 'couriers.json');
  const objects = Array.from({ length: 4000 }, (_, i) => sdo('identity', { name: `Courier ${i}`, identity_class: 'individual' }));
  const refused = sdo('indicator', { name: 'no pattern' });
  objects.push(refused);
  fs.writeFileSync(file, JSON.stringify({ type: 'bundle', id: `bundle--${crypto.randomUUID()}`, objects }));
  try {
    const page = await signedIn(browser, node);
    await page.goto(node.url + '/ui/import');
    assert.equal(await page.getByRole('progressbar').count(), 0, 'no bar before an upload');
    // What the bar and its status say, each time they change, kept in the
    // tab's sessionStorage, which outlives the page the result replaces.
    await page.evaluate(() => {
      const bar = document.getElementById('import-bar');
      const status = document.getElementById('import-status');
      const seen = [];
      new MutationObserver(() => {
        seen.push({ value: bar.value, max: bar.max, status: status.textContent });
        sessionStorage.setItem('e2e-progress', JSON.stringify(seen));
      }).observe(document.getElementById('import-progress'), { attributes: true, childList: true, subtree: true, characterData: true });
    });
    await page.getByLabel('Into the collection').selectOption({ label: 'Shared with the partner (liaison)' });
    await page.getByLabel('STIX 2.1 bundle (JSON)').setInputFiles(file);
    await submit(page, () => page.getByRole('button', { name: 'Import' }).click());

    const seen = JSON.parse(await page.evaluate(() => sessionStorage.getItem('e2e-progress')));
    const moving = seen.filter((s) => / objects? so far\.$|storing them/.test(s.status));
    assert.ok(moving.length >= 1, `the bar moved as the node read the upload: ${JSON.stringify(seen)}`);
    const last = seen.at(-1);
    assert.equal(last.value, last.max, `the bar reached its end: ${JSON.stringify(last)}`);
    assert.equal(last.status, 'Imported: 4001 objects read, 4000 added, 0 already held, 1 refused. Loading the summary\u2026');

    const result = page.getByRole('status');
    const facts = Object.fromEntries(await result.locator('dt').evaluateAll((dts) =>
      dts.map((dt) => [dt.textContent.trim(), dt.nextElementSibling.textContent.trim()])));
    assert.equal(facts['Objects read'], '4001');
    assert.equal(facts.Added, '4000');
    assert.equal(facts.Refused, '1');
    const table = page.getByRole('table').filter({ has: page.locator('caption', { hasText: 'Objects refused' }) });
    assert.match(await table.locator('tbody tr').first().textContent(), new RegExp(refused.id));
    assert.equal(await page.getByRole('progressbar').count(), 0, 'the result page shows no bar');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an object the user may not see: its page answers as a missing one, and search does not list it', async () => {
  const node = state.node;
  // Marked releasable to the node's organisation only, in a collection the
  // partner reads: the marking, not the collection, keeps it from them.
  const marking = admin('marking', 'add', '--releasable-to', node.name, '--classification', 'RESTRICTED', '--collection', partner.shared);
  const tag = `Ledger ${Date.now()}`;
  const hidden = sdo('report', { name: `${tag} (node only)`, published: new Date().toISOString(), object_refs: [], object_marking_refs: [marking] });
  const seen = sdo('report', { name: `${tag} (shared)`, published: new Date().toISOString(), object_refs: [] });
  hidden.object_refs = [seen.id];
  seen.object_refs = [hidden.id];
  await taxiiAdd(node, partner.shared, [hidden, seen]);

  // The node's own user sees both.
  const mine = await signedIn(browser, node);
  assert.equal((await mine.goto(`${node.url}/ui/objects/${hidden.id}`)).status(), 200);
  assert.ok(await mine.getByText(`${tag} (node only)`).first().isVisible(), 'the node\'s user sees the hidden report');
  await mine.context().close();

  const page = await newPage(browser);
  await signIn(page, node, { user: partner.user, secret: partner.token });
  assert.equal(page.url(), node.url + '/ui/', 'the partner signed in');
  const answers = [];
  page.on('response', (res) => { if (res.url().includes('/ui/objects/')) answers.push(res.status()); });
  await page.goto(`${node.url}/ui/objects/${hidden.id}`);
  const hiddenPage = await page.locator('main').innerHTML();
  await page.goto(`${node.url}/ui/objects/report--${crypto.randomUUID()}`);
  const missingPage = await page.locator('main').innerHTML();
  assert.deepEqual(answers, [404, 404]);
  assert.equal(hiddenPage, missingPage, 'the same page for a hidden object and a missing one');
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Not found');
  await assertAccessible(page, 'not found');

  await page.goto(`${node.url}/ui/objects`);
  await page.getByLabel('Id or name').fill(tag);
  await submit(page, () => page.getByRole('button', { name: 'Search' }).click());
  const names = await page.getByRole('table').getByRole('row').allTextContents();
  assert.ok(names.some((r) => r.includes(`${tag} (shared)`)), `search finds the shared report: ${names.join(' / ')}`);
  assert.ok(!names.some((r) => r.includes('node only')), `search does not list the hidden one: ${names.join(' / ')}`);
  await page.goto(`${node.url}/ui/objects/${seen.id}`);
  assert.ok(!(await page.locator('main').textContent()).includes('node only'), 'the shared report does not name the hidden one');
  // The two 404s above are the point of this test, not problems of the page.
  const expected = (p) => p.includes(' 404') && p.includes(`${node.url}/ui/objects/`);
  assert.deepEqual(page.problems.filter((p) => !expected(p)), []);
  await page.context().close();
});
