import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TAXII, demoNode, state, taxii } from '../lib/env.js';

const nodes = [state.node, ...state.demo];

for (const node of nodes) {
  test(`${node.name}: TAXII discovery with the admin token names the API root liaison`, async () => {
    const res = await taxii(node, '/taxii2/');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), TAXII);
    const discovery = await res.json();
    const root = `${node.url}/taxii2/liaison/`;
    assert.equal(discovery.default, root);
    assert.deepEqual(discovery.api_roots, [root]);
    assert.ok(discovery.title, 'discovery has a title');
  });
}

test('TAXII discovery takes the token as the password of HTTP Basic too', async () => {
  const node = state.node;
  const basic = 'Basic ' + Buffer.from(`${node.user}:${node.token}`).toString('base64');
  const res = await taxii(node, '/taxii2/', { auth: basic });
  assert.equal(res.status, 200);
});

test('TAXII discovery without a token, or with a wrong one, answers 401 with a TAXII error body', async () => {
  const node = state.node;
  for (const auth of [null, 'Bearer lsn_not-a-token', `Bearer ${demoNode('ru').token}`]) {
    const res = await taxii(node, '/taxii2/', { auth });
    assert.equal(res.status, 401, `with ${auth ? auth.slice(0, 12) + '…' : 'no token'}`);
    assert.equal(res.headers.get('content-type'), TAXII);
    const body = await res.json();
    assert.equal(body.http_status, '401');
    assert.ok(body.title);
  }
});

test('the demo nodes list the collections the case was played in', async () => {
  for (const node of state.demo) {
    const res = await taxii(node, '/taxii2/liaison/collections/');
    assert.equal(res.status, 200, node.name);
    const { collections } = await res.json();
    const titles = collections.map((c) => c.title);
    assert.ok(titles.includes('Intelligence'), `${node.name} holds Intelligence: ${titles}`);
    assert.ok(collections.length > 1, `${node.name} holds its partners' collections too: ${titles}`);
  }
});
