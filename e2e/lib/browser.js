// browser.js: headless Debian Chromium driven by playwright-core, which
// downloads no browser of its own.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumPath, outDir } from './env.js';

// Every flag keeps Chromium off the network but for the pages it is sent to:
// the machines running these tests have no other network, and Chromium's
// background connections would fail, many at a time. Playwright starts each
// browser with a new, empty profile (its own --user-data-dir in a temporary
// directory, removed on close).
const args = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launch() {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`no Chromium at ${chromiumPath}: apt-get install chromium (or set CHROMIUM)`);
  }
  return chromium.launch({ executablePath: chromiumPath, headless: true, args });
}

// newPage opens a page in a new context (its own cookies) with a fixed
// viewport, locale and time zone, so screenshots are alike from run to run.
// It records the page's console errors, failed requests and uncaught
// exceptions in page.problems.
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
    locale: 'en-GB',
    timezoneId: 'UTC',
    ...options,
  });
  // Pages on loopback answer in milliseconds; a wait this long is a failure.
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  page.problems = [];
  // Chromium asks every site for /favicon.ico, which the console does not
  // serve (yet); that 404 is not a problem of the page.
  const favicon = (url) => new URL(url).pathname === '/favicon.ico';
  page.on('console', (msg) => {
    const url = msg.location().url || '';
    if (msg.type() === 'error' && !(url && favicon(url))) page.problems.push(`console: ${msg.text()} (${url})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !favicon(res.url())) page.problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
  page.on('pageerror', (err) => page.problems.push(`exception: ${err.message}`));
  page.on('requestfailed', (req) => {
    const error = req.failure()?.errorText || '';
    // A request the page or a navigation cancels (an event stream left
    // behind) is not a failure.
    if (!error.includes('ERR_ABORTED')) page.problems.push(`request failed: ${req.url()} ${error}`);
  });
  return page;
}

// screenshot saves a PNG of the page as DIR/NAME.png and returns its path.
export async function screenshot(page, dir, name, options = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, ...options });
  return file;
}
