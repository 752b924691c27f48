import assert from 'node:assert/strict';
import { test } from 'node:test';
import { state } from '../lib/env.js';

for (const node of [state.node, ...state.demo]) {
  test(`${node.name}: /healthz answers ok without a token`, async () => {
    const res = await fetch(node.url + '/healthz');
    assert.equal(res.status, 200);
    assert.equal((await res.text()).trim(), 'ok');
  });
}
