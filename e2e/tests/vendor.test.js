// The vendored libraries (web/static/vendor, scripts/vendor-web.sh) load in
// Chromium in the order web/static/vendor/README.md gives, under a
// Content-Security-Policy as strict as the console's, and draw what the
// console needs of them: a world map with a route, zoomed, and a graph.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { launch, newPage, screenshot } from '../lib/browser.js';
import { e2eDir, outDir, repoDir } from '../lib/env.js';

const roots = {
  '/vendor/': path.join(repoDir, 'web', 'static', 'vendor'),
  '/fixtures/': path.join(e2eDir, 'fixtures'),
};
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.json': 'application/json', '.css': 'text/css' };
const csp = "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'";

let server;
let base;
let browser;
const violations = [];

before(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/csp-report') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => { violations.push(body); res.end(); });
      return;
    }
    const prefix = Object.keys(roots).find((p) => url.pathname.startsWith(p));
    const file = prefix && path.join(roots[prefix], path.normalize(url.pathname.slice(prefix.length)));
    if (!file || !file.startsWith(roots[prefix]) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': types[path.extname(file)] || 'application/octet-stream',
      'Content-Security-Policy': `${csp}; report-uri /csp-report`,
    });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

test('the vendored libraries draw the world map, the route, the zoom and the graph under a strict CSP', async () => {
  const page = await newPage(browser);
  await page.goto(`${base}/fixtures/vendor.html`);
  const check = await page.waitForFunction(() => window.vendorCheck, null, { timeout: 15000 }).then((h) => h.jsonValue());
  await screenshot(page, outDir, 'vendor');
  assert.equal(check.error, undefined, check.error);
  assert.equal(check.htmx, '2.0.11');
  assert.ok(check.countries >= 170, `countries drawn: ${check.countries}`);
  assert.ok(check.routeLength > 1, `route length in radians: ${check.routeLength}`);
  assert.match(check.transform, /scale\(1\.5\)/);
  assert.equal(check.graphNodes, 3);
  assert.equal(check.graphEdges, 2);
  assert.ok(check.canvases > 0, 'cytoscape drew on a canvas');
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100))); // let reports arrive
  assert.deepEqual(violations, [], 'no Content-Security-Policy violation');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the 50m world map parses into as many countries', async () => {
  const page = await newPage(browser);
  await page.goto(`${base}/fixtures/vendor.html`);
  await page.waitForFunction(() => window.vendorCheck);
  const n = await page.evaluate(async () => {
    const world = await (await fetch('/vendor/world-atlas/countries-50m.json')).json();
    return topojson.feature(world, world.objects.countries).features.length; // eslint-disable-line no-undef
  });
  assert.ok(n >= 240, `countries in the 50m map: ${n}`);
  await page.context().close();
});
