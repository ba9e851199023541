/**
 * `content:` and `content_count` assertions: through `mcptest run` against the real example
 * server (a tool's text, a blob resource's MIME type and size), the suite loader's line/column
 * errors for a malformed matcher, and the matchers over image, audio and resource-link content.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkExpectations } from '../../cli/runner/assertions.js';
import { parseSuite } from '../../cli/runner/load-suite.js';
import { McptestError } from '../../shared/errors.js';
import { type Idp, startIdp } from '../../examples/oauth-server/idp.js';
import { type McpExampleServer, startMcpServer } from '../../examples/oauth-server/mcp-server.js';
import { PIXEL_PNG_BASE64 } from '../../examples/oauth-server/tools.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';

const PNG = Buffer.from(PIXEL_PNG_BASE64, 'base64').length;

describe('content assertions against the example server', () => {
  let idp: Idp;
  let mcp: McpExampleServer;
  let env: ReturnType<typeof isolatedEnv>;

  before(async () => {
    idp = await startIdp();
    mcp = await startMcpServer({ issuer: idp.issuer });
    const token = (await idp.obtainTokenSet({ resource: mcp.url, scope: 'mcp:read' })).access_token;
    env = isolatedEnv({ MCP_URL: mcp.url, MCP_TOKEN: token });
    fs.writeFileSync(
      path.join(env.MCPTEST_HOME as string, 'content.yaml'),
      `servers:
  api:
    url: \${MCP_URL}
    auth: { bearer_token_env: MCP_TOKEN }
tests:
  - name: echo answers one text item
    tool: echo
    arguments: { text: hello }
    expect: { content: { type: text, min_bytes: 5, max_bytes: 5 }, content_count: 1 }
  - name: the pixel is a small png
    resource: example://images/pixel.png
    expect:
      content: { type: blob, mime_type: image/png, min_bytes: 10, max_bytes: 100000 }
      content_count: 1
  - name: any image type matches
    resource: example://images/pixel.png
    expect: { content: [{ mime_type: "image/*" }, { type: blob }] }
  - name: the pixel is not that small
    resource: example://images/pixel.png
    expect: { content: { type: blob, max_bytes: 10 } }
  - name: the cities are no image
    resource: example://weather/cities
    expect: { content: { type: image }, content_count: 2 }
`,
    );
  });
  after(async () => {
    await env?.cleanup();
    await mcp?.close();
    await idp?.close();
  });

  it('passes on matching items and names what the server answered on a mismatch', async () => {
    const run = await runCli(['run', 'content.yaml', '--reporter', 'json'], { env });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout);
    assert.deepEqual(report.summary, { total: 5, passed: 3, failed: 2, skipped: 0 });
    const byName = Object.fromEntries(report.tests.map((t: { name: string }) => [t.name, t]));
    assert.deepEqual(byName['the pixel is not that small'].failures, [
      {
        assertion: 'content',
        message: `expected a content item with type: blob, max_bytes: 10, got blob of ${PNG} bytes`,
      },
    ]);
    assert.deepEqual(
      byName['the cities are no image'].failures.map((f: { assertion: string }) => f.assertion),
      ['content_count', 'content'],
    );
    assert.match(byName['the cities are no image'].failures[1].message, /got type text$/);
  });
});

describe('content matchers in the suite file', () => {
  const suite = (expect: string) => `servers:
  api: { url: http://127.0.0.1:8080/mcp }
tests:
  - name: t
    tool: echo
    expect:
      content: ${expect}
`;
  const error = (text: string) => {
    try {
      parseSuite(text, 'suite.yaml', {});
    } catch (err) {
      assert.ok(err instanceof McptestError);
      return err.message;
    }
    assert.fail('the suite was accepted');
  };

  it('are checked with line and column', () => {
    assert.match(error(suite('{ type: picture }')), /^suite\.yaml:7:\d+: tests\[0\]\.expect\.content/);
    assert.match(error(suite('{ mime: image/png }')), /^suite\.yaml:7:\d+: .*unknown key "mime"/);
    assert.match(
      error(suite('{ min_bytes: 10, max_bytes: 5 }')),
      /^suite\.yaml:7:\d+: .*min_bytes is more than max_bytes/,
    );
    assert.match(error(suite('{ mime_type: png }')), /a MIME type like image\/png/);
    parseSuite(suite('[{ type: image, mime_type: image/png }, { type: resource_link }]'), 'suite.yaml', {});
  });
});

describe('content matchers over tool-result content', () => {
  const result = {
    content: [
      { type: 'image', mimeType: 'image/png', data: PIXEL_PNG_BASE64 },
      { type: 'audio', mimeType: 'audio/wav', data: Buffer.alloc(300).toString('base64') },
      { type: 'resource_link', uri: 'example://a', name: 'a', mimeType: 'text/csv', size: 2048 },
      { type: 'resource', resource: { uri: 'example://b', mimeType: 'application/pdf', blob: 'AAAA' } },
    ],
  };
  const check = (expect: object) =>
    checkExpectations(expect as never, { result, latencyMs: 1, toolListed: true }).map((f) => f.message);

  it('match images, audio, resource links and embedded resources by type, MIME type and size', () => {
    assert.deepEqual(
      check({ content: { type: 'image', mime_type: 'image/png', min_bytes: PNG, max_bytes: PNG } }),
      [],
    );
    assert.deepEqual(check({ content: { type: 'audio', min_bytes: 300 } }), []);
    assert.deepEqual(
      check({ content: { type: 'resource_link', mime_type: 'text/csv', min_bytes: 1024 } }),
      [],
    );
    assert.deepEqual(
      check({ content: { type: 'resource', mime_type: 'application/pdf', max_bytes: 3 } }),
      [],
    );
    assert.deepEqual(check({ content_count: 4 }), []);
    assert.deepEqual(check({ content: { type: 'image', min_bytes: 1000 } }), [
      `expected a content item with type: image, min_bytes: 1000, got image of ${PNG} bytes; type audio; type resource_link; type resource`,
    ]);
  });
});
