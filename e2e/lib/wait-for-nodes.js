// wait-for-nodes.js WORK: waits until the nodes run.sh started in WORK are
// up, and writes WORK/state.json for the tests (see env.js).
//
// It reads what the processes print, as a person would: `liaison serve`
// prints the admin token on its first start and logs the address it listens
// on (JSON logs on stderr); `liaison demo` prints each node's URL and admin
// token once the case is played. Then it waits for every node's /healthz.
// It fails, with the processes' output, when one exits or time runs out.
import fs from 'node:fs';
import path from 'node:path';

const work = process.argv[2];
const deadline = Date.now() + Number(process.env.LIAISON_E2E_START_TIMEOUT || 180) * 1000;

const read = (name) => {
  try {
    return fs.readFileSync(path.join(work, name), 'utf8');
  } catch {
    return '';
  }
};

// exited tells whether the process run.sh started as NAME has ended.
function exited(name) {
  try {
    process.kill(Number(read(name + '.pid')), 0);
    return false;
  } catch {
    return true;
  }
}

function fail(message) {
  console.error(`e2e: ${message}`);
  for (const f of ['serve.out', 'serve.err', 'demo.out', 'demo.err']) {
    const text = read(f);
    if (text) console.error(`--- ${f} (last 40 lines)\n${text.split('\n').slice(-40).join('\n')}`);
  }
  process.exit(1);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, probe) {
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) fail(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function serveNode() {
  if (exited('serve')) fail('liaison serve exited before it was ready');
  const out = read('serve.out');
  const token = out.match(/^\s+(lsn_\S+)\s*$/m);
  const created = out.match(/^A new node for (.+) \(([A-Z]{2})\) was created/m);
  let url = null;
  for (const line of read('serve.err').split('\n')) {
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue; // not a log entry, or one still being written
    }
    if (entry.msg === 'liaison node listening') url = entry.taxii.replace(/\/taxii2\/$/, '');
  }
  return token && created && url ? { name: created[1], country: created[2], user: 'admin', token: token[1], url } : null;
}

function demoNodes() {
  if (exited('demo')) fail('liaison demo exited before it was ready');
  const out = read('demo.out');
  if (!out.includes('Press Ctrl-C to stop.')) return null;
  const keys = { 'Russian Security Service': 'ru', 'British Security Service': 'gb', 'American Federal Bureau': 'us' };
  const nodes = [];
  const line = /^\s+(.+?)\s+(http:\/\/127\.0\.0\.1:\d+)\/taxii2\/\s+admin token (\S+)\s*$/gm;
  for (const m of out.matchAll(line)) {
    nodes.push({ key: keys[m[1]] || m[1], name: m[1], user: 'admin', token: m[3], url: m[2] });
  }
  if (nodes.length !== 3) fail(`expected three demo nodes in the demo's output, found ${nodes.length}`);
  return nodes;
}

async function healthy(node) {
  try {
    const res = await fetch(node.url + '/healthz');
    return res.ok;
  } catch {
    return false;
  }
}

const started = Date.now();
const node = await until('liaison serve to print its token and address', serveNode);
const demo = await until('liaison demo to play the case', demoNodes);
for (const n of [node, ...demo]) {
  if (!n.url.startsWith('http://127.0.0.1:')) fail(`${n.name} is not on 127.0.0.1: ${n.url}`);
  await until(`${n.url}/healthz`, () => healthy(n));
}
const state = { node, demo };
fs.writeFileSync(path.join(work, 'state.json'), JSON.stringify(state, null, 2) + '\n');
console.log(`e2e: nodes ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
for (const n of [node, ...demo]) console.log(`  ${n.name.padEnd(26)} ${n.url}`);
