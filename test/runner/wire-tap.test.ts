/**
 * The wire tap on a transport-shaped pair of functions (a JSON-RPC peer played by the test): the
 * legs of a watched request kept with their raw answers, `input_required` retries attributed to
 * the request they continue, two tests making the same request at once each getting their own
 * legs, notifications numbered and waited for, and a handler set after the tap still served.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tapTransport, type TapTransport } from '../../cli/runner/wire-tap.js';

/** A transport whose peer answers through `deliver`; `sent` holds what went out. */
function pair() {
  const sent: any[] = [];
  const delivered: any[] = [];
  const transport: TapTransport = {
    async send(message) {
      sent.push(message);
    },
    onmessage: (message) => delivered.push(message),
  };
  const deliver = (message: unknown) => transport.onmessage?.(message);
  return { transport, sent, delivered, deliver };
}

describe('wire tap', () => {
  it('keeps the legs of a watched request and their raw answers, retries included', async () => {
    const { transport, delivered, deliver } = pair();
    const tap = tapTransport(transport);
    const params = { name: 'ask_name', arguments: {} };
    const watch = tap.watch('tools/call', params);
    await transport.send({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { ...params, _meta: { progressToken: 1 } },
    });
    await transport.send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }); // not watched
    deliver({ jsonrpc: '2.0', id: 1, result: { resultType: 'input_required', inputRequests: { name: {} } } });
    await transport.send({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { ...params, inputResponses: { name: {} }, requestState: 'opaque' },
    });
    deliver({ jsonrpc: '2.0', id: 2, result: { tools: [] } });
    deliver({ jsonrpc: '2.0', id: 3, result: { resultType: 'complete', content: [] } });
    assert.equal(watch.legs.length, 2);
    assert.deepEqual(watch.final()?.result, { resultType: 'complete', content: [] });
    assert.equal(delivered.length, 3, 'every message still reaches the client');
    watch.done();
    await transport.send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params });
    assert.equal(watch.legs.length, 2, 'nothing is kept once the test is done');
    assert.equal(tapTransport(transport), tap, 'a transport is tapped once');
  });

  it('two tests making the same request at once each get their own legs', async () => {
    const { transport, deliver } = pair();
    const tap = tapTransport(transport);
    const params = { name: 'echo', arguments: { text: 'x' } };
    const a = tap.watch('tools/call', params);
    await transport.send({ jsonrpc: '2.0', id: 10, method: 'tools/call', params });
    const b = tap.watch('tools/call', params);
    await transport.send({ jsonrpc: '2.0', id: 11, method: 'tools/call', params });
    deliver({ jsonrpc: '2.0', id: 11, result: { resultType: 'complete', n: 11 } });
    deliver({ jsonrpc: '2.0', id: 10, error: { code: -32021, message: 'missing capability' } });
    assert.deepEqual(a.final()?.error, { code: -32021, message: 'missing capability' });
    assert.deepEqual(b.final()?.result, { resultType: 'complete', n: 11 });
  });

  it('numbers notifications, waits for the missing ones, and serves a handler set later', async () => {
    const { transport, deliver } = pair();
    const tap = tapTransport(transport);
    const later: string[] = [];
    transport.onmessage = (m: { method?: string }) => later.push(m.method ?? 'response');
    deliver({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    const from = tap.nextSeq;
    assert.equal(from, 1);
    const waiting = tap.waitForNotifications(from, ['notifications/prompts/list_changed'], 60_000);
    deliver({ jsonrpc: '2.0', id: 5, method: 'elicitation/create', params: {} }); // a server request
    deliver({ jsonrpc: '2.0', method: 'notifications/prompts/list_changed' });
    assert.deepEqual(await waiting, []);
    assert.deepEqual(
      tap.notificationsSince(from).map((n) => n.method),
      ['notifications/prompts/list_changed'],
    );
    assert.deepEqual(await tap.waitForNotifications(from, ['notifications/resources/list_changed'], 50), [
      'notifications/resources/list_changed',
    ]);
    const aborted = new AbortController();
    const stopped = tap.waitForNotifications(
      from,
      ['notifications/resources/list_changed'],
      60_000,
      aborted.signal,
    );
    aborted.abort();
    assert.deepEqual(await stopped, ['notifications/resources/list_changed']);
    assert.deepEqual(later, [
      'notifications/tools/list_changed',
      'elicitation/create',
      'notifications/prompts/list_changed',
    ]);
  });
});
