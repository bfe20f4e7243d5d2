/** The pure parts of the API's edges: how deep a merge patch nests, which methods a path takes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { illFormedString, methodsOf } from '../../api/app.ts';
import { MAX_PATCH_DEPTH, nestingDepth } from '../../core/intents/schemas.ts';

describe('merge patch depth', () => {
  it('counts nesting without recursion, even 5,000 levels deep', () => {
    assert.equal(nestingDepth(3), 0);
    assert.equal(nestingDepth({ a: 1 }), 1);
    assert.equal(nestingDepth({ a: { b: [1, { c: null }] } }), 4);
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i += 1) deep = { d: deep };
    assert.ok(nestingDepth(deep) > MAX_PATCH_DEPTH);
  });
});

describe('methods of a path', () => {
  const document = {
    paths: {
      '/v1/things': { get: {}, post: {} },
      '/v1/things/{id}': { parameters: [], delete: {} },
    },
  };
  it('matches templates segment by segment and lists the documented methods', () => {
    assert.deepEqual(methodsOf(document, '/v1/things'), ['GET', 'POST', 'HEAD']);
    assert.deepEqual(methodsOf(document, '/v1/things/t-1'), ['DELETE']);
    assert.deepEqual(methodsOf(document, '/v1/things/'), []);
    assert.deepEqual(methodsOf(document, '/v1/other'), []);
  });
});

describe('text that cannot be encoded', () => {
  it('finds a lone surrogate in a value or a key, and passes well-formed text', () => {
    assert.equal(illFormedString({ topic: { name: 'cell ✓ 𝄞' }, parties: [{ id: 'bo-1' }] }), null);
    assert.equal(illFormedString({ topic: { name: 'cell \ud800' } }), 'body.topic.name');
    assert.equal(illFormedString({ parties: [{ id: '\udc00x' }] }), 'body.parties.0.id');
    assert.equal(illFormedString({ ['k\ud83d']: 1 }), 'body (a key)');
    assert.equal(illFormedString(JSON.parse('{"name": "\\ud800"}')), 'body.name');
  });
});
