/**
 * The peer URL policy (daemon/oauth/peer-url-policy.ts) as a unit, with a fake resolver: where a
 * server's metadata may send the daemon. A server off loopback cannot be served offline, so the
 * rules for public and private servers are held here and by the in-process discovery runs of
 * test/security/discovery-ssrf.test.ts; the loopback rules also run end to end there.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addressZone,
  checkPeerUrl,
  checkVerificationUri,
  type Lookup,
  serverZone,
  visibleForm,
} from '../../daemon/oauth/peer-url-policy.js';
import { McptestError } from '../../shared/errors.js';

/** A resolver from a fixed table; an unknown name fails like ENOTFOUND. */
function fakeLookup(table: Record<string, string[]>): Lookup & { asked: string[] } {
  const asked: string[] = [];
  const lookup = async (host: string) => {
    asked.push(host);
    const found = table[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
  return Object.assign(lookup, { asked });
}

const lookup = fakeLookup({
  'mcp.example.com': ['93.184.216.34'],
  'as.example.com': ['93.184.216.35', '2606:2800:220:1::1'],
  'rebind.example.com': ['127.0.0.1'],
  'mixed.example.com': ['93.184.216.36', '10.1.2.3'],
  'intranet.example.com': ['10.20.30.40'],
  'idp.intranet.example.com': ['10.20.30.41'],
  'metadata.example.com': ['169.254.169.254'],
  'v6local.example.com': ['fd12:3456::1'],
});

async function refusal(p: Promise<unknown>): Promise<McptestError> {
  const err = await p.then(
    () => assert.fail('the URL was allowed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof McptestError, String(err));
  return err;
}

describe('addressZone', () => {
  const cases: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['0.0.0.0', 'loopback'],
    ['::1', 'loopback'],
    ['::', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'private'],
    ['100.64.0.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['172.32.0.1', 'public'],
    ['8.8.8.8', 'public'],
    ['2606:2800:220:1::1', 'public'],
  ];
  for (const [ip, zone] of cases) test(`${ip} is ${zone}`, () => assert.equal(addressZone(ip), zone));
});

describe('a server on a public address', () => {
  const from = async () => serverZone('https://mcp.example.com/mcp', lookup);

  test('is public', async () => assert.equal((await from()).zone, 'public'));

  test('may name https URLs that resolve to public addresses', async () => {
    const url = await checkPeerUrl(
      'https://as.example.com/tenant/1',
      'authorization server',
      await from(),
      lookup,
    );
    assert.equal(url.href, 'https://as.example.com/tenant/1');
  });

  test('may name its own origin, with any path and query', async () => {
    const url = await checkPeerUrl(
      'https://mcp.example.com/.well-known/oauth-protected-resource/mcp?v=2#frag',
      'resource_metadata URL',
      await from(),
      lookup,
      { noCrossOriginQuery: true },
    );
    assert.equal(
      url.href,
      'https://mcp.example.com/.well-known/oauth-protected-resource/mcp?v=2',
      'no fragment',
    );
  });

  const inside: Array<[string, RegExp]> = [
    ['https://127.0.0.1/prm', /127\.0\.0\.1 is a loopback address/],
    ['https://127.0.0.1:6379/', /loopback/],
    ['https://[::1]:8443/prm', /loopback/],
    ['https://[::ffff:127.0.0.1]/prm', /loopback/],
    ['https://0.0.0.0/prm', /loopback/],
    ['https://2130706433/prm', /loopback/],
    ['https://localhost/prm', /loopback/],
    ['https://rebind.example.com/prm', /at 127\.0\.0\.1, a loopback address/],
    ['https://10.0.0.5/prm', /private address/],
    ['https://192.168.1.1/prm', /private address/],
    ['https://172.20.0.1/prm', /private address/],
    ['https://[fd00::1]/prm', /private address/],
    ['https://[fe80::1]/prm', /private address/],
    ['https://metadata.example.com/latest', /at 169\.254\.169\.254, a private address/],
    ['https://v6local.example.com/prm', /private address/],
    ['https://mixed.example.com/prm', /at 93\.184\.216\.36, 10\.1\.2\.3, a private address/],
    ['https://intranet.example.com/prm', /private address/],
  ];
  for (const [target, why] of inside) {
    test(`may not send the daemon to ${target}`, async () => {
      const err = await refusal(checkPeerUrl(target, 'resource_metadata URL', await from(), lookup));
      assert.equal(err.code, 'peer_url_refused');
      assert.match(err.message, why);
      assert.match(err.message, /named by https:\/\/mcp\.example\.com\/mcp/);
      assert.ok(err.hint);
    });
  }

  test('may not name plain http, not even to loopback', async () => {
    const a = await refusal(
      checkPeerUrl('http://as.example.com/', 'authorization server', await from(), lookup),
    );
    assert.equal(a.code, 'insecure_url');
    const b = await refusal(
      checkPeerUrl('http://127.0.0.1:9000/', 'authorization server', await from(), lookup),
    );
    assert.equal(b.code, 'peer_url_refused');
    assert.match(b.message, /the server is not on loopback/);
  });

  test('an unresolvable target is a transient idp_unavailable, not a silent pass', async () => {
    const err = await refusal(
      checkPeerUrl('https://nowhere.example.com/', 'token_endpoint', await from(), lookup),
    );
    assert.equal(err.code, 'idp_unavailable');
    assert.equal(err.details?.transient, true);
  });
});

describe('a server on a private network', () => {
  const from = async () => serverZone('https://intranet.example.com/mcp', lookup);

  test('may name an authorization server on the private network or in public', async () => {
    assert.equal((await from()).zone, 'private');
    await checkPeerUrl('https://idp.intranet.example.com/', 'authorization server', await from(), lookup);
    await checkPeerUrl('https://as.example.com/', 'authorization server', await from(), lookup);
  });

  test('may not name loopback', async () => {
    const err = await refusal(
      checkPeerUrl('https://rebind.example.com/', 'token_endpoint', await from(), lookup),
    );
    assert.equal(err.code, 'peer_url_refused');
    assert.match(err.message, /loopback address, and the server is on a private network/);
  });
});

describe('a server on loopback', () => {
  const from = async () => serverZone('http://127.0.0.1:3000/mcp', lookup);

  test('may name other loopback origins, over http, and https anywhere', async () => {
    assert.equal((await from()).zone, 'loopback');
    await checkPeerUrl('http://127.0.0.1:4000/prm', 'resource_metadata URL', await from(), lookup);
    await checkPeerUrl('http://localhost:4000/', 'authorization server', await from(), lookup);
    await checkPeerUrl('https://as.example.com/', 'authorization server', await from(), lookup);
  });

  test('may not name plain http off loopback', async () => {
    const err = await refusal(
      checkPeerUrl('http://as.example.com/', 'authorization server', await from(), lookup),
    );
    assert.equal(err.code, 'insecure_url');
  });
});

describe('rules for every server', () => {
  const from = async () => serverZone('http://127.0.0.1:3000/mcp', lookup);

  for (const target of [
    'file:///etc/passwd',
    'javascript:alert(1)',
    'gopher://127.0.0.1:6379/_FLUSHALL',
    'data:,{}',
  ]) {
    test(`the scheme of ${target} is refused`, async () => {
      const err = await refusal(checkPeerUrl(target, 'authorization server', await from(), lookup));
      assert.equal(err.code, 'peer_url_refused');
      assert.match(err.message, /is not https/);
    });
  }

  test('credentials in a URL are refused, and not repeated in the message', async () => {
    const err = await refusal(
      checkPeerUrl(
        'http://admin:s3cr3t-pw@127.0.0.1:3000/prm',
        'resource_metadata URL',
        await from(),
        lookup,
      ),
    );
    assert.equal(err.code, 'peer_url_refused');
    assert.match(err.message, /user name or password/);
    assert.doesNotMatch(err.message, /s3cr3t-pw|admin/);
  });

  test('an issuer with a query or a fragment is refused (RFC 8414 §2)', async () => {
    for (const issuer of ['http://127.0.0.1:4000/as?tenant=1', 'http://127.0.0.1:4000/as#x']) {
      const err = await refusal(
        checkPeerUrl(issuer, 'authorization server', await from(), lookup, { issuer: true }),
      );
      assert.equal(err.code, 'peer_url_refused');
      assert.match(err.message, /no query or fragment/);
    }
  });

  test('a metadata URL of another origin with a query is refused; a path is fine', async () => {
    const err = await refusal(
      checkPeerUrl(
        'http://127.0.0.1:4000/admin?cmd=shutdown',
        'resource_metadata URL',
        await from(),
        lookup,
        {
          noCrossOriginQuery: true,
        },
      ),
    );
    assert.match(err.message, /a query string on a metadata URL of another origin/);
    await checkPeerUrl(
      'http://127.0.0.1:4000/.well-known/oauth-protected-resource/mcp',
      'resource_metadata URL',
      await from(),
      lookup,
      { noCrossOriginQuery: true },
    );
  });
});

describe('device verification URIs', () => {
  const issuer = 'https://as.example.com';
  const server = 'https://mcp.example.com/mcp';
  for (const ok of [
    'https://as.example.com/activate',
    'http://127.0.0.1:4000/device',
    'https://as.example.com/d?user_code=WDJB-MJHT',
  ]) {
    test(`${ok} is shown`, () =>
      assert.equal(checkVerificationUri(ok, 'verification_uri', issuer, server), ok));
  }
  const bad: Array<[unknown, RegExp]> = [
    ['javascript:alert(1)', /not an https URL/],
    ['file:///etc/passwd', /not an https URL/],
    ['http://idp.example.com/activate', /not an https URL/],
    ['https://as.example.com/act\u001b[2Jivate', /control characters/],
    ['https://as.example.com/\u202egnp.exe', /control characters/],
    ['https://as.example.com/a\nb', /control characters/],
    ['https://as.example.com@evil.example.com/', /user name or password/],
    ['not a url', /control characters or whitespace/],
    ['activate', /not a URL/],
    [42, /not a string/],
  ];
  for (const [value, why] of bad) {
    test(`${JSON.stringify(value)} is refused`, () => {
      assert.throws(
        () => checkVerificationUri(value, 'verification_uri', issuer, server),
        (err: unknown) => {
          assert.ok(err instanceof McptestError);
          assert.equal(err.code, 'peer_url_refused');
          assert.match(err.message, why);
          assert.match(err.message, /the login was not started/);
          assert.doesNotMatch(err.message, /[\u0000-\u001f\u007f-\u009f\u202e]/, 'escaped');
          assert.match(err.hint ?? '', /mcptest login --no-browser https:\/\/mcp\.example\.com\/mcp/);
          return true;
        },
      );
    });
  }

  test('the answer is shown escaped and bounded', () => {
    assert.equal(visibleForm('a\u001b[2Jb\u202e\u0085'), '"a\\x1b[2Jb\\u{202e}\\x85"');
    assert.ok(visibleForm('x'.repeat(5000)).length < 210);
  });
});
