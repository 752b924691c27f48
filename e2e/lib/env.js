// env.js: what run.sh tells the tests — the nodes it started, where
// Chromium is, and where screenshots go.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const e2eDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const repoDir = path.dirname(e2eDir);

const statePath = process.env.LIAISON_E2E_STATE;
if (!statePath) {
  throw new Error('LIAISON_E2E_STATE is not set: run the tests through e2e/run.sh, which starts the nodes');
}

// state.node: one node from `liaison serve` on a new data directory.
// state.demo: the three nodes of `liaison demo` (keys ru, gb, us), the case played.
// Each is { key?, name, url, user, token } with the admin user's token.
export const state = JSON.parse(fs.readFileSync(statePath, 'utf8'));

// The liaison binary run.sh built, and the data directory of state.node:
// admin commands (`liaison --data DIR org add`, …) work on a running node.
export const liaisonBin = process.env.LIAISON_E2E_BIN;
export const nodeData = process.env.LIAISON_E2E_NODE_DATA;

export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

// Screenshots of the console's pages, committed and shown in the README.
export const screenshotDir = process.env.LIAISON_E2E_SCREENSHOTS || path.join(repoDir, 'docs', 'screenshots');

// Everything else a run leaves behind (screenshots of failures, of test
// pages), not committed.
export const outDir = process.env.LIAISON_E2E_OUT || path.join(e2eDir, 'out');

export function demoNode(key) {
  const n = state.demo.find((d) => d.key === key);
  if (!n) throw new Error(`no demo node ${key}`);
  return n;
}

export const TAXII = 'application/taxii+json;version=2.1';

// taxii GETs a TAXII path of a node with its admin token (or auth, if given).
export function taxii(node, p, { auth = `Bearer ${node.token}`, accept = TAXII } = {}) {
  const headers = { Accept: accept };
  if (auth) headers.Authorization = auth;
  return fetch(node.url + p, { headers });
}
