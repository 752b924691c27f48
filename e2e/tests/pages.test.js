// The console's pages, signed in as the Russian service's node administrator
// after the demo played the case: each main page reached from the main
// navigation, checked with axe-core and by keyboard, and saved as a
// screenshot; the board of operation IGLA; an object found by search; a
// bundle imported.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { launch, screenshot } from '../lib/browser.js';
import { assertAccessible, assertKeyboardReachable, signedIn, submit } from '../lib/console.js';
import { demoNode, screenshotDir, state } from '../lib/env.js';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const mainPages = [
  { link: 'Operations', path: '/ui/operations', shot: 'operations' },
  { link: 'Objects', path: '/ui/objects', shot: 'objects' },
  { link: 'Import', path: '/ui/import', shot: 'import' },
  { link: 'Partners', path: '/ui/partners', shot: 'partners' },
  { link: 'Audit', path: '/ui/audit', shot: 'audit' },
];

for (const p of mainPages) {
  test(`${p.link}: reached from the main navigation, accessible, every control reached by Tab`, async () => {
    const node = demoNode('ru');
    const page = await signedIn(browser, node);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await submit(page, () => nav.getByRole('link', { name: p.link, exact: true }).click());
    assert.equal(new URL(page.url()).pathname, p.path);
    assert.equal(await nav.getByRole('link', { name: p.link, exact: true }).getAttribute('aria-current'), 'page');
    assert.equal(await page.getByRole('heading', { level: 1 }).count(), 1);
    await assertAccessible(page, p.link);
    await screenshot(page, screenshotDir, p.shot);
    await assertKeyboardReachable(page, p.link);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
}

test('the board of operation IGLA: custody, handoffs, gaps, tasks, the routes of the dealer and the crate drawn on the map', async () => {
  const node = demoNode('ru');
  const page = await signedIn(browser, node);
  await page.goto(node.url + '/ui/operations');
  await submit(page, () => page.getByRole('link', { name: 'IGLA', exact: true }).click());
  assert.match(new URL(page.url()).pathname, /^\/ui\/operations\/.+/);
  for (const name of ['Custody now', 'Pending handoffs', 'Coverage gaps', 'Tasks', 'Routes']) {
    assert.ok(await page.getByRole('heading', { name, level: 2 }).isVisible(), `section ${name}`);
  }
  // The case followed the dealer from St Petersburg to New York.
  const routes = page.getByRole('table').filter({ has: page.locator('caption', { hasText: /^Sightings of / }) });
  assert.ok(await routes.count() >= 2, 'route tables of the dealer and the crate');
  const places = await routes.locator('tbody tr td:nth-child(2)').allTextContents();
  for (const place of ['Moscow, Red Square', 'London Heathrow Airport, Terminal 4', 'Port of Baltimore, Seagirt Marine Terminal']) {
    assert.ok(places.includes(place), `the routes pass ${place}: ${places.join(' / ')}`);
  }
  const maps = page.getByRole('img', { name: /^Map of the route of / });
  assert.equal(await maps.count(), 2, 'a route map for each, labelled');
  // Each map drawn offline: the world's countries, the legs, a point per
  // sighting with coordinates.
  await page.waitForFunction(() => [...document.querySelectorAll('.route-map')].every((m) => m.querySelector('svg .points circle')));
  for (const map of await maps.all()) {
    const drawn = await map.evaluate((m) => ({
      countries: m.querySelectorAll('svg .countries path').length,
      legs: m.querySelectorAll('svg .legs path').length,
      points: m.querySelectorAll('svg .points circle').length,
    }));
    assert.ok(drawn.countries >= 170 && drawn.legs >= 1 && drawn.points >= 2, `${await map.getAttribute('aria-label')}: ${JSON.stringify(drawn)}`);
  }
  await assertAccessible(page, 'operation board');
  await screenshot(page, screenshotDir, 'operation');
  await assertKeyboardReachable(page, 'operation board');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('an object found by name opens with its markings and JSON', async () => {
  const node = demoNode('ru');
  const page = await signedIn(browser, node);
  await page.goto(node.url + '/ui/objects');
  await page.getByLabel('Id or name').fill('IGLA');
  await submit(page, () => page.getByRole('button', { name: 'Search' }).click());
  const results = page.getByRole('table');
  assert.ok(await results.isVisible(), 'results');
  const operation = results.getByRole('row').filter({ has: page.getByRole('cell', { name: 'operation', exact: true }) });
  assert.equal(await operation.count(), 1, 'the operation is found (and its scope marking beside it)');
  await submit(page, () => operation.getByRole('link').click());
  assert.match(new URL(page.url()).pathname, /^\/ui\/objects\/operation--/);
  assert.ok(await page.getByRole('heading', { name: 'Markings', level: 2 }).isVisible());
  const json = JSON.parse(await page.locator('pre.json').textContent());
  assert.equal(json.name, 'IGLA');
  await assertAccessible(page, 'object');
  await screenshot(page, screenshotDir, 'object');
  await assertKeyboardReachable(page, 'object');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a bundle imported from the browser: the added object counted, the refused one listed with its reason', async () => {
  const node = state.node;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'liaison-e2e-import-'));
  const file = path.join(dir, 'bundle.json');
  const indicator = (id, pattern) => ({
    type: 'indicator', spec_version: '2.1', id, created: '2026-01-05T10:00:00.000Z', modified: '2026-01-05T10:00:00.000Z',
    name: 'Dealer handset', pattern, pattern_type: 'stix', valid_from: '2026-01-05T10:00:00Z',
  });
  const good = 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f';
  const bad = 'indicator--0b1c7f2a-3d4e-4f5a-8b6c-7d8e9f0a1b2c';
  fs.writeFileSync(file, JSON.stringify({
    type: 'bundle', id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d',
    objects: [indicator(good, "[email-addr:value = 'dealer@example.com']"), indicator(bad, "[email-addr:value = 'unclosed]")],
  }));
  try {
    const page = await signedIn(browser, node);
    await page.goto(node.url + '/ui/import');
    await page.getByLabel('STIX 2.1 bundle (JSON)').setInputFiles(file);
    await submit(page, () => page.getByRole('button', { name: 'Import' }).click());
    const result = page.getByRole('status');
    await result.waitFor();
    const facts = Object.fromEntries(await result.locator('dt').evaluateAll((dts) =>
      dts.map((dt) => [dt.textContent.trim(), dt.nextElementSibling.textContent.trim()])));
    assert.equal(facts['Objects read'], '2');
    assert.equal(facts.Added, '1');
    assert.equal(facts.Refused, '1');
    const refused = page.getByRole('table').filter({ has: page.locator('caption', { hasText: 'Objects refused' }) });
    const row = await refused.locator('tbody tr').first().textContent();
    assert.ok(row.includes(bad), `the refused object is named: ${row}`);
    assert.match(row, /pattern/, 'and why');
    await assertAccessible(page, 'import result');
    await screenshot(page, screenshotDir, 'import-result');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
