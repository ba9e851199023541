/**
 * The protected example MCP server in each of its three eras — `dual` (SDK 2.x serving 2026-07-28
 * and 2025 clients), `modern` (2026-07-28 only) and `legacy` (SDK 1.x, 2025 only) — reached by real
 * SDK clients with real tokens from the real IdP: a 2.x client pinned to 2026-07-28 and a 1.x
 * client. Each era refuses the client it does not speak to with a clear error, keeps its 401 / 403
 * challenges, and serves the interactive tools (elicitation, sampling, tools/list_changed) the
 * way its era asks: `input_required` rounds, or server-to-client requests on a session. The same
 * over stdio.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  InsufficientScopeError,
  Client as ModernClient,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioTransport } from '@modelcontextprotocol/client/stdio';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as LegacyStdioTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as LegacyHttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';

const MODERN = '2026-07-28';
const STDIO_SERVER = fileURLToPath(new URL('../../examples/oauth-server/stdio-server.js', import.meta.url));
const MAIN = fileURLToPath(new URL('../../examples/oauth-server/main.js', import.meta.url));
const BASE_TOOLS = ['add', 'admin_reset', 'echo', 'fail', 'get_weather', 'slow', 'whoami'];
const INTERACTIVE_TOOLS = ['ask_name', 'change_tools', 'summarize'];

let idp: Idp;
const servers: Record<string, McpExampleServer> = {};

before(async () => {
  idp = await startIdp();
  const start = (era: 'dual' | 'modern' | 'legacy', sessions = false) =>
    startMcpServer({ issuer: idp.issuer, era, sessions, interactiveTools: true });
  servers.dual = await start('dual');
  servers.dualSessions = await start('dual', true);
  servers.modern = await start('modern');
  servers.legacy = await start('legacy');
  servers.legacySessions = await start('legacy', true);
});

after(async () => {
  for (const server of Object.values(servers)) await server.close();
  await idp?.close();
});

async function token(server: McpExampleServer, scope = 'mcp:read'): Promise<string> {
  return (await idp.obtainTokenSet({ resource: server.url, scope })).access_token;
}

/** What a client's HTTP exchanges looked like: request bodies, statuses, challenges, JSON results. */
interface Seen {
  request?: any;
  status: number;
  challenge: string | null;
  body?: any;
}

function recordingFetch(seen: Seen[]): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const entry: Seen = {
      status: response.status,
      challenge: response.headers.get('www-authenticate'),
      request: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    if ((response.headers.get('content-type') ?? '').startsWith('application/json')) {
      entry.body = await response.clone().json();
    }
    seen.push(entry);
    return response;
  };
}

interface Asked {
  elicitations: any[];
  samplings: any[];
}

/** Answers the form with `{ name }` (or declines when name is null), and sampling with a fixed reply. */
const answers = (name: string | null) => ({
  elicit: () =>
    name === null ? { action: 'decline' as const } : { action: 'accept' as const, content: { name } },
  sample: {
    role: 'assistant' as const,
    model: 'test-model',
    content: { type: 'text' as const, text: 'A summary.' },
  },
});

function modernClient(asked: Asked = { elicitations: [], samplings: [] }, name: string | null = 'Ada') {
  const client = new ModernClient(
    { name: 'eras-test', version: '1.0.0' },
    { capabilities: { elicitation: {}, sampling: {} }, versionNegotiation: { mode: { pin: MODERN } } },
  );
  const a = answers(name);
  client.setRequestHandler('elicitation/create', async (request) => {
    asked.elicitations.push(request.params);
    return a.elicit();
  });
  client.setRequestHandler('sampling/createMessage', async (request) => {
    asked.samplings.push(request.params);
    return a.sample;
  });
  return client;
}

async function connectModern(
  server: McpExampleServer,
  bearer: string | undefined,
  seen: Seen[] = [],
  asked?: Asked,
  name?: string | null,
) {
  const client = modernClient(asked, name);
  await client.connect(
    new StreamableHTTPClientTransport(new URL(server.url), {
      fetch: recordingFetch(seen),
      onInsufficientScope: 'throw',
      ...(bearer ? { requestInit: { headers: { Authorization: `Bearer ${bearer}` } } } : {}),
    }),
  );
  return client;
}

function legacyClient(asked: Asked = { elicitations: [], samplings: [] }, name = 'Bob') {
  const client = new LegacyClient(
    { name: 'eras-test', version: '1.0.0' },
    { capabilities: { elicitation: {}, sampling: {} } },
  );
  const a = answers(name);
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    asked.elicitations.push(request.params);
    return a.elicit();
  });
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
    asked.samplings.push(request.params);
    return a.sample;
  });
  return client;
}

async function connectLegacy(server: McpExampleServer, bearer: string, seen: Seen[] = [], asked?: Asked) {
  const client = legacyClient(asked);
  const transport = new LegacyHttpTransport(new URL(server.url), {
    fetch: recordingFetch(seen),
    requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
  });
  await client.connect(transport);
  return Object.assign(client, { endSession: () => transport.terminateSession() });
}

function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ text?: string }> }).content ?? [];
  return content.map((c) => c.text ?? '').join('');
}

async function until(check: () => boolean, ms = 20_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  return check();
}

describe('each era serves the client of its era', () => {
  for (const key of ['dual', 'modern']) {
    test(`${key}: a 2.x client pinned to ${MODERN} lists and calls tools`, async () => {
      const server = servers[key];
      const client = await connectModern(server, await token(server));
      try {
        const { tools } = await client.listTools();
        assert.deepEqual(tools.map((t) => t.name).sort(), [...BASE_TOOLS, ...INTERACTIVE_TOOLS].sort());
        const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
        assert.deepEqual(sum.structuredContent, { sum: 5 });
        const me = await client.callTool({ name: 'whoami', arguments: {} });
        assert.deepEqual((me.structuredContent as any).scopes, ['mcp:read']);
        const failed = await client.callTool({ name: 'fail', arguments: { message: 'boom' } });
        assert.equal(failed.isError, true);
      } finally {
        await client.close();
      }
      assert.ok(server.requests.some((r) => r.rpcMethod === 'server/discover' && r.status === 200));
    });
  }

  for (const key of ['dual', 'legacy']) {
    test(`${key}: a 1.x client (2025 handshake) lists and calls tools`, async () => {
      const server = servers[key];
      const client = await connectLegacy(server, await token(server));
      try {
        const { tools } = await client.listTools();
        assert.deepEqual(tools.map((t) => t.name).sort(), [...BASE_TOOLS, ...INTERACTIVE_TOOLS].sort());
        const weather = await client.callTool({ name: 'get_weather', arguments: { city: 'Paris' } });
        assert.deepEqual(weather.structuredContent, {
          city: 'Paris',
          temperatureC: 18,
          conditions: 'cloudy',
        });
        const me = await client.callTool({ name: 'whoami', arguments: {} });
        assert.equal((me.structuredContent as any).authenticated, true);
      } finally {
        await client.close();
      }
      assert.ok(server.requests.some((r) => r.rpcMethod === 'initialize' && r.status === 200));
    });
  }

  test('modern-only refuses a 1.x client, naming the version it supports', async () => {
    const client = legacyClient();
    const bearer = await token(servers.modern);
    await assert.rejects(
      client.connect(
        new LegacyHttpTransport(new URL(servers.modern.url), {
          requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
        }),
      ),
      (error: Error) => {
        assert.match(error.message, /-32022/);
        assert.match(error.message, /Unsupported protocol version: 2025-11-25/);
        assert.match(error.message, /"supported":\["2026-07-28"\]/);
        return true;
      },
    );
  });

  test(`legacy-only refuses a client pinned to ${MODERN}`, async () => {
    await assert.rejects(connectModern(servers.legacy, await token(servers.legacy)), (error: Error) => {
      assert.match(error.message, /did not offer pinned protocol version 2026-07-28/);
      return true;
    });
  });

  test('a modern-only server has no sessions to offer', async () => {
    await assert.rejects(
      startMcpServer({ issuer: idp.issuer, era: 'modern', sessions: true }),
      /sessions are a 2025-era feature/,
    );
  });
});

describe('401 and 403 carry the bearer challenge in every era', () => {
  const expect401 = (challenge: string | null, server: McpExampleServer) => {
    assert.match(challenge ?? '', /^Bearer /);
    assert.match(challenge ?? '', /error="invalid_token"/);
    assert.ok(challenge?.includes(`resource_metadata="${server.resourceMetadataUrl}"`), challenge ?? '');
  };
  const expect403 = (challenge: string | null, server: McpExampleServer) => {
    assert.match(challenge ?? '', /^Bearer /);
    assert.match(challenge ?? '', /error="insufficient_scope"/);
    assert.match(challenge ?? '', /scope="mcp:read mcp:admin"/);
    assert.ok(challenge?.includes(`resource_metadata="${server.resourceMetadataUrl}"`), challenge ?? '');
  };

  for (const key of ['dual', 'modern']) {
    test(`${key}, ${MODERN} wire: no token → 401; admin_reset with mcp:read → 403 naming mcp:admin`, async () => {
      const server = servers[key];
      const refused: Seen[] = [];
      await assert.rejects(connectModern(server, undefined, refused));
      const first = refused.find((s) => s.status === 401);
      assert.ok(first, JSON.stringify(refused.map((s) => s.status)));
      expect401(first.challenge, server);
      assert.equal(first.request?.method, 'server/discover');

      const seen: Seen[] = [];
      const client = await connectModern(server, await token(server), seen);
      try {
        await assert.rejects(client.callTool({ name: 'admin_reset', arguments: {} }), (error: Error) => {
          assert.ok(error instanceof InsufficientScopeError, String(error));
          assert.equal(error.requiredScope, 'mcp:read mcp:admin');
          assert.equal(error.resourceMetadataUrl?.href, server.resourceMetadataUrl);
          return true;
        });
      } finally {
        await client.close();
      }
      const forbidden = seen.find((s) => s.status === 403);
      assert.ok(forbidden);
      expect403(forbidden.challenge, server);
      assert.ok(
        forbidden.request?.params?._meta,
        'the refused call was a 2026-07-28 request (it carries _meta)',
      );

      const admin = await connectModern(server, await token(server, 'mcp:read mcp:admin'));
      try {
        assert.equal(textOf(await admin.callTool({ name: 'admin_reset', arguments: {} })), 'reset done');
      } finally {
        await admin.close();
      }
    });
  }

  for (const key of ['dual', 'legacy']) {
    test(`${key}, 2025 wire: no token → 401; admin_reset with mcp:read → 403 naming mcp:admin`, async () => {
      const server = servers[key];
      const rpc = (method: string, params: Record<string, unknown>, bearer?: string) =>
        fetch(server.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
        });
      const denied = await rpc('tools/list', {});
      assert.equal(denied.status, 401);
      expect401(denied.headers.get('www-authenticate'), server);
      const forbidden = await rpc('tools/call', { name: 'admin_reset', arguments: {} }, await token(server));
      assert.equal(forbidden.status, 403);
      expect403(forbidden.headers.get('www-authenticate'), server);
      const other = await idp.obtainTokenSet({ resource: 'http://127.0.0.1:1/other', scope: 'mcp:read' });
      const wrongAudience = await rpc('tools/list', {}, other.access_token);
      assert.equal(wrongAudience.status, 401, 'a token for another audience is refused');
      expect401(wrongAudience.headers.get('www-authenticate'), server);
    });
  }
});

describe('the interactive tools', () => {
  for (const key of ['dual', 'modern']) {
    test(`${key}, ${MODERN}: ask_name and summarize ask through input_required rounds`, async () => {
      const server = servers[key];
      const seen: Seen[] = [];
      const asked: Asked = { elicitations: [], samplings: [] };
      const client = await connectModern(server, await token(server), seen, asked);
      try {
        const greeted = await client.callTool({ name: 'ask_name', arguments: {} });
        assert.equal(textOf(greeted), 'Hello, Ada!');
        assert.deepEqual(greeted.structuredContent, { action: 'accept', name: 'Ada' });
        assert.equal(asked.elicitations.length, 1);
        assert.equal(asked.elicitations[0].message, 'What is your name?');
        assert.deepEqual(asked.elicitations[0].requestedSchema.required, ['name']);

        const summary = await client.callTool({ name: 'summarize', arguments: { text: 'A long text.' } });
        assert.equal(textOf(summary), 'A summary.');
        assert.deepEqual(summary.structuredContent, { summary: 'A summary.', model: 'test-model' });
        assert.match(JSON.stringify(asked.samplings[0].messages), /A long text\./);
      } finally {
        await client.close();
      }
      // On the wire: the first call answered input_required; the retry carried the answer and the state.
      const calls = seen.filter(
        (s) => s.request?.method === 'tools/call' && s.request.params.name === 'ask_name',
      );
      assert.equal(calls.length, 2, JSON.stringify(calls.map((c) => c.body)));
      assert.equal(calls[0].body.result.resultType, 'input_required');
      assert.equal(calls[0].body.result.inputRequests.name.method, 'elicitation/create');
      const state = calls[0].body.result.requestState;
      assert.equal(typeof state, 'string');
      assert.equal(calls[1].request.params.requestState, state, 'requestState echoed byte for byte');
      assert.deepEqual(calls[1].request.params.inputResponses.name, {
        action: 'accept',
        content: { name: 'Ada' },
      });
      assert.equal(calls[1].body.result.resultType, 'complete');
      assert.equal(server.openSessions(), 0, 'the modern era keeps no session');
    });
  }

  test(`${MODERN}: a declined elicitation is answered, not an error`, async () => {
    const client = await connectModern(servers.modern, await token(servers.modern), [], undefined, null);
    try {
      const declined = await client.callTool({ name: 'ask_name', arguments: {} });
      assert.equal(declined.isError, undefined);
      assert.equal(textOf(declined), 'No name given (decline).');
    } finally {
      await client.close();
    }
  });

  test(`${MODERN}: a forged requestState is refused`, async () => {
    const server = servers.modern;
    const seen: Seen[] = [];
    const client = await connectModern(server, await token(server), seen);
    try {
      await assert.rejects(
        client.callTool({
          name: 'ask_name',
          arguments: {},
          requestState: 'v1.forged.state',
          inputResponses: { name: { action: 'accept', content: { name: 'Mallory' } } },
        } as any),
        /Invalid or expired requestState/,
      );
    } finally {
      await client.close();
    }
  });

  for (const key of ['dualSessions', 'legacySessions']) {
    test(`${key}, 2025: ask_name and summarize send requests to the client on its session`, async () => {
      const server = servers[key];
      const asked: Asked = { elicitations: [], samplings: [] };
      const client = await connectLegacy(server, await token(server), [], asked);
      try {
        assert.equal(server.openSessions(), 1);
        const greeted = await client.callTool({ name: 'ask_name', arguments: {} });
        assert.equal(textOf(greeted), 'Hello, Bob!');
        assert.equal(asked.elicitations[0].message, 'What is your name?');
        const summary = await client.callTool({ name: 'summarize', arguments: { text: 'Another text.' } });
        assert.equal(textOf(summary), 'A summary.');
        assert.match(JSON.stringify(asked.samplings[0].messages), /Another text\./);
      } finally {
        await client.endSession();
        await client.close();
      }
      assert.ok(await until(() => server.openSessions() === 0), 'the session was ended');
    });
  }

  for (const [key, reason] of [
    ['dual', /per-request legacy serving cannot receive server-to-client requests/],
    ['legacy', /no elicitation capability on this connection .*use sessions or stdio/],
  ] as const) {
    test(`${key}, 2025 without sessions: ask_name says why it cannot ask`, async () => {
      const server = servers[key];
      const asked: Asked = { elicitations: [], samplings: [] };
      const client = await connectLegacy(server, await token(server), [], asked);
      try {
        const result = await client.callTool({ name: 'ask_name', arguments: {} });
        assert.equal(result.isError, true);
        assert.match(textOf(result), reason);
        assert.equal(asked.elicitations.length, 0);
      } finally {
        await client.close();
      }
    });
  }

  test(`change_tools: ${MODERN} listeners hear tools/list_changed; the list gains and loses bonus`, async () => {
    const server = servers.modern;
    const bearer = await token(server);
    const listener = await connectModern(server, bearer);
    const caller = await connectModern(server, bearer);
    let heard = 0;
    listener.setNotificationHandler('notifications/tools/list_changed', () => {
      heard++;
    });
    const subscription = await listener.listen({ toolsListChanged: true });
    try {
      assert.equal(subscription.honoredFilter.toolsListChanged, true);
      const added = await caller.callTool({ name: 'change_tools', arguments: {} });
      assert.deepEqual(added.structuredContent, { bonus: true, changed: true });
      assert.ok(await until(() => heard === 1), 'the listener heard tools/list_changed');
      const { tools } = await listener.listTools(undefined, { cacheMode: 'bypass' });
      assert.ok(tools.some((t) => t.name === 'bonus'));
      assert.equal(textOf(await caller.callTool({ name: 'bonus', arguments: {} })), 'bonus');

      const again = await caller.callTool({ name: 'change_tools', arguments: { bonus: true } });
      assert.deepEqual(again.structuredContent, { bonus: true, changed: false });
      const removed = await caller.callTool({ name: 'change_tools', arguments: { bonus: false } });
      assert.deepEqual(removed.structuredContent, { bonus: false, changed: true });
      assert.ok(await until(() => heard === 2));
      const after = await listener.listTools(undefined, { cacheMode: 'bypass' });
      assert.ok(!after.tools.some((t) => t.name === 'bonus'));
    } finally {
      await subscription.close();
      await listener.close();
      await caller.close();
    }
  });

  for (const key of ['dual', 'legacy']) {
    test(`change_tools on ${key}, 2025: the caller hears tools/list_changed on its call`, async () => {
      const server = servers[key];
      const client = await connectLegacy(server, await token(server));
      let heard = 0;
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        heard++;
      });
      try {
        await client.callTool({ name: 'change_tools', arguments: { bonus: true } });
        assert.ok(await until(() => heard >= 1), 'tools/list_changed arrived');
        assert.ok((await client.listTools()).tools.some((t) => t.name === 'bonus'));
        await client.callTool({ name: 'change_tools', arguments: { bonus: false } });
        assert.ok(!(await client.listTools()).tools.some((t) => t.name === 'bonus'));
      } finally {
        await client.close();
      }
    });
  }

  test(`list results carry cache hints at ${MODERN}, none on the 2025 wire`, async () => {
    const server = servers.dual;
    const modern: Seen[] = [];
    const client = await connectModern(server, await token(server), modern);
    try {
      await client.listTools(undefined, { cacheMode: 'bypass' });
      await client.listResources(undefined, { cacheMode: 'bypass' });
    } finally {
      await client.close();
    }
    const tools = modern.find((s) => s.request?.method === 'tools/list')?.body?.result;
    assert.equal(tools?.ttlMs, 5000);
    assert.equal(tools?.cacheScope, 'private');
    const resources = modern.find((s) => s.request?.method === 'resources/list')?.body?.result;
    assert.equal(resources?.ttlMs, 60_000);
    assert.equal(resources?.cacheScope, 'public');

    const legacy: Seen[] = [];
    const old = await connectLegacy(server, await token(server), legacy);
    try {
      await old.listTools();
    } finally {
      await old.close();
    }
    const listed = legacy.find((s) => s.request?.method === 'tools/list');
    assert.ok(listed, 'a tools/list was sent');
    // The stateless 2025 fallback answers over SSE; what matters is that no cache field is sent.
    assert.equal(listed.body?.result?.ttlMs, undefined);
  });
});

describe('stdio, in each era', () => {
  const stdioArgs = (era: string) => [STDIO_SERVER, '--era', era, '--interactive-tools'];

  for (const era of ['dual', 'modern']) {
    test(`stdio --era ${era}: a client pinned to ${MODERN} is asked and answers`, async () => {
      const asked: Asked = { elicitations: [], samplings: [] };
      const client = modernClient(asked);
      await client.connect(
        new ModernStdioTransport({ command: process.execPath, args: stdioArgs(era), stderr: 'pipe' }),
      );
      try {
        assert.equal(textOf(await client.callTool({ name: 'ask_name', arguments: {} })), 'Hello, Ada!');
        assert.equal(
          textOf(await client.callTool({ name: 'summarize', arguments: { text: 'stdio text' } })),
          'A summary.',
        );
        assert.equal(asked.elicitations.length, 1);
        let heard = 0;
        client.setNotificationHandler('notifications/tools/list_changed', () => {
          heard++;
        });
        const subscription = await client.listen({ toolsListChanged: true });
        await client.callTool({ name: 'change_tools', arguments: {} });
        assert.ok(await until(() => heard >= 1), 'tools/list_changed arrived on subscriptions/listen');
        const { tools } = await client.listTools(undefined, { cacheMode: 'bypass' });
        assert.ok(tools.some((t) => t.name === 'bonus'));
        await subscription.close();
      } finally {
        await client.close();
      }
    });
  }

  for (const era of ['dual', 'legacy']) {
    test(`stdio --era ${era}: a 1.x client is asked and answers`, async () => {
      const asked: Asked = { elicitations: [], samplings: [] };
      const client = legacyClient(asked);
      await client.connect(
        new LegacyStdioTransport({ command: process.execPath, args: stdioArgs(era), stderr: 'pipe' }),
      );
      let heard = 0;
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        heard++;
      });
      try {
        assert.equal(textOf(await client.callTool({ name: 'ask_name', arguments: {} })), 'Hello, Bob!');
        assert.equal(asked.elicitations.length, 1);
        await client.callTool({ name: 'change_tools', arguments: {} });
        assert.ok(await until(() => heard >= 1));
        assert.ok((await client.listTools()).tools.some((t) => t.name === 'bonus'));
      } finally {
        await client.close();
      }
    });
  }

  test('stdio --era modern refuses the 2025 handshake', async () => {
    const client = legacyClient();
    await assert.rejects(
      client.connect(
        new LegacyStdioTransport({ command: process.execPath, args: stdioArgs('modern'), stderr: 'pipe' }),
      ),
      /Unsupported protocol version|-32022/,
    );
    await client.close();
  });

  test(`stdio --era legacy cannot be pinned to ${MODERN}`, async () => {
    const client = modernClient();
    await assert.rejects(
      client.connect(
        new ModernStdioTransport({ command: process.execPath, args: stdioArgs('legacy'), stderr: 'pipe' }),
      ),
      /2026-07-28/,
    );
    await client.close();
  });
});

test('main.js --era legacy starts the example in that era and says so', async () => {
  const child = spawn(process.execPath, [MAIN, '--era', 'legacy'], {
    env: { PATH: process.env.PATH, EXAMPLE_CLIENT_SECRET: 'main-test-secret-0123456789' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (out.includes('\n')) resolve(out.split('\n')[0]);
      });
      child.once('exit', (code) => reject(new Error(`main.js exited ${code} before it was ready`)));
    });
    const ready = JSON.parse(line);
    assert.equal(ready.era, 'legacy');
    const client = modernClient();
    const bearer = (await fetchClientCredentials(ready)).access_token;
    await assert.rejects(
      client.connect(
        new StreamableHTTPClientTransport(new URL(ready.mcpUrl), {
          requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
        }),
      ),
      /did not offer pinned protocol version/,
    );
  } finally {
    child.kill('SIGTERM');
  }
  const bad = spawn(process.execPath, [MAIN, '--era', 'future'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  bad.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const code = await new Promise<number | null>((resolve) => bad.once('exit', resolve));
  assert.notEqual(code, 0);
  assert.match(stderr, /--era must be one of dual, modern, legacy, got future/);
});

async function fetchClientCredentials(ready: { issuer: string; mcpUrl: string; clientId: string }) {
  const metadata = (await (await fetch(`${ready.issuer}/.well-known/oauth-authorization-server`)).json()) as {
    token_endpoint: string;
  };
  const response = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${ready.clientId}:main-test-secret-0123456789`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'mcp:read',
      resource: ready.mcpUrl,
    }),
  });
  assert.equal(response.status, 200);
  return (await response.json()) as { access_token: string };
}
