// The link graph of the operation board, signed in as the Russian service's
// node administrator after the demo played the case: link-graph.js draws
// the graph of operation IGLA with the vendored cytoscape, under the
// console's Content-Security-Policy, with the dealer, the London mobile the
// Russian note ties to him, and the three services holding the objects
// that name him; the table below lists the same links.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch } from '../lib/browser.js';
import { assertAccessible, signedIn, submit } from '../lib/console.js';
import { demoNode } from '../lib/env.js';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const dealer = 'Semyon Arkadyevich Lorin';
const mobile = '+447700900123'; // the dealer's London handset, as a phone selector
const services = ['Russian Security Service', 'British Security Service', 'American Federal Bureau'];

test('the board of operation IGLA draws its link graph: the dealer, his phone, the three services', async () => {
  const node = demoNode('ru');
  const page = await signedIn(browser, node);
  await page.goto(node.url + '/ui/operations');
  await submit(page, () => page.getByRole('link', { name: 'IGLA', exact: true }).click());
  assert.ok(await page.getByRole('heading', { name: 'Link graph', level: 2 }).isVisible());

  const graph = page.locator('.link-graph');
  await graph.and(page.locator('[data-drawn]')).waitFor({ timeout: 10000 });
  assert.equal(await graph.getAttribute('data-error'), null);
  const drawn = Number(await graph.getAttribute('data-drawn'));
  // What was drawn is what the console's API answers for this user.
  const data = await page.evaluate(async (url) => (await fetch(url, { headers: { Accept: 'application/json' } })).json(),
    await graph.getAttribute('data-source'));
  assert.equal(drawn, data.nodes.length, 'a node drawn for each of the graph');
  const labels = (group) => data.nodes.filter((n) => n.group === group).map((n) => n.label);
  assert.ok(labels('subject').includes(dealer), `the dealer among the subjects: ${labels('subject')}`);
  const phone = data.nodes.find((n) => n.group === 'selector' && n.kind === 'phone' && n.label === mobile);
  assert.ok(phone, `his phone among the selectors: ${labels('selector')}`);
  const dealerID = data.nodes.find((n) => n.label === dealer).id;
  assert.ok(data.edges.some((e) => e.source === dealerID && e.target === phone.id), 'the phone linked to the dealer');
  for (const s of services) {
    assert.ok(labels('organisation').includes(s), `${s} among the organisations: ${labels('organisation')}`);
  }
  // Drawn on cytoscape's canvases, in a container one reaches by keyboard.
  assert.ok(await graph.locator('canvas').count() >= 1, 'cytoscape drew on its canvases');
  const box = await graph.boundingBox();
  assert.ok(box && box.height > 200, `the graph has room: ${JSON.stringify(box)}`);
  assert.equal(await graph.getAttribute('tabindex'), '0');
  assert.match(await graph.getAttribute('aria-label'), /^Graph of the subjects/);
  await graph.focus();
  await page.keyboard.press('+');
  await page.keyboard.press('ArrowLeft');

  // The same links, as a table, for readers without script.
  const table = page.getByRole('table').filter({ has: page.locator('caption', { hasText: /^Links of the graph/ }) });
  const rows = await table.locator('tbody tr').allTextContents();
  assert.equal(rows.length, data.edges.length, 'a row per link');
  assert.ok(rows.some((r) => r.includes(dealer) && r.includes('is known by') && r.includes(mobile)), 'the dealer is known by his phone');

  await assertAccessible(page, 'operation board with its link graph');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
