// node.js: writing to the nodes as their administrators do — the JSON API,
// TAXII adds, and admin commands on the `serve` node's data directory — and
// waiting for what federation delivers.
import { execFileSync } from 'node:child_process';
import { TAXII, liaisonBin, nodeData } from './env.js';

// api sends a JSON request to a node's API (/api/v1/…) with a token (the
// node's admin token unless told) and returns the parsed answer; it throws
// on an error status, with the node's message.
export async function api(node, method, path, body, { token = node.token } = {}) {
  const res = await fetch(node.url + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} at ${node.name}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// collectionTitled returns the id of the collection of a node's default API
// root that has this title, as the token's user sees them.
export async function collectionTitled(node, title, { token = node.token } = {}) {
  const res = await fetch(node.url + '/taxii2/liaison/collections/', { headers: { Authorization: `Bearer ${token}`, Accept: TAXII } });
  const { collections = [] } = await res.json();
  const c = collections.find((x) => x.title === title);
  if (!c) throw new Error(`no collection "${title}" at ${node.name}: ${collections.map((x) => x.title).join(', ')}`);
  return c.id;
}

// taxiiAdd adds STIX objects to a collection (TAXII 2.1 "Add Objects") and
// fails unless every one is stored.
export async function taxiiAdd(node, collection, objects, { token = node.token } = {}) {
  const res = await fetch(`${node.url}/taxii2/liaison/collections/${collection}/objects/`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': TAXII, Accept: TAXII },
    body: JSON.stringify({ objects }),
  });
  const status = await res.json();
  if (!res.ok || status.success_count !== objects.length) {
    throw new Error(`TAXII add at ${node.name}: ${res.status} ${JSON.stringify(status)}`);
  }
  return status;
}

// admin runs a liaison admin command on the `serve` node's data directory
// (the node keeps running) and returns what it printed, trimmed.
export function admin(...args) {
  if (!liaisonBin || !nodeData) throw new Error('LIAISON_E2E_BIN and LIAISON_E2E_NODE_DATA are not set: run the tests through e2e/run.sh');
  return execFileSync(liaisonBin, ['--data', nodeData, ...args], { encoding: 'utf8' }).trim();
}

// until calls probe until it returns something truthy, and returns that;
// it throws, saying what it waited for, after `seconds`.
export async function until(what, probe, seconds = 20) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const stamp = () => new Date().toISOString().replace(/Z$/, '').slice(0, 23) + 'Z';

// sdo builds a STIX 2.1 object of a type with a fresh id.
export function sdo(type, props = {}) {
  const t = stamp();
  const o = { type, spec_version: '2.1', id: `${type}--${crypto.randomUUID()}`, ...props };
  if (!['email-addr', 'ipv4-addr', 'domain-name', 'phone-number', 'url'].includes(type)) Object.assign(o, { created: t, modified: t });
  return o;
}
