/**
 * What a server asks for while a tool runs, answered as a user answers it: `mcptest call
 * --answer KIND=VALUE` against the era test servers, in the modern era (the SDK fulfils
 * `input_required` rounds through mcptest's handlers) and in the legacy one (server requests),
 * over HTTP and stdio. `asks` in `--json` says what was asked and how it came (`via`); without
 * an answer, off a terminal, the call fails naming the question and how to answer it; on a
 * terminal (a pseudo-terminal from util-linux `script`) the human is asked.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { CLI, isolatedEnv, runCli } from '../helpers/cli.js';
import {
  ASK_MODEL_PROMPT,
  ASK_NAME_MESSAGE,
  ASK_URL,
  type EraServer,
  type EraServerKind,
  eraStdioFlags,
  startEraServer,
} from '../helpers/era-servers.js';

let env: ReturnType<typeof isolatedEnv>;
const reEscape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const servers = new Map<EraServerKind, EraServer>();

before(async () => {
  env = isolatedEnv();
  for (const kind of ['modern', 'dual', 'legacy'] as const) servers.set(kind, await startEraServer(kind));
});
after(async () => {
  for (const s of servers.values()) await s.close();
  await env.cleanup();
});

/** Each way to reach each era: [label, flags, expected era, expected `via`]. */
function eras(): Array<[string, string[], 'modern' | 'legacy', 'input_required' | 'request']> {
  const url = (k: EraServerKind) => ['--url', (servers.get(k) as EraServer).url];
  return [
    ['modern-only over HTTP', url('modern'), 'modern', 'input_required'],
    ['dual-era over HTTP, auto', url('dual'), 'modern', 'input_required'],
    [
      'dual-era over HTTP, --protocol 2025-11-25',
      [...url('dual'), '--protocol', '2025-11-25'],
      'legacy',
      'request',
    ],
    ['legacy-only over HTTP', url('legacy'), 'legacy', 'request'],
    ['modern-only over stdio', eraStdioFlags('modern'), 'modern', 'input_required'],
    [
      'dual-era over stdio, --protocol 2025-06-18',
      [...eraStdioFlags('dual'), '--protocol', '2025-06-18'],
      'legacy',
      'request',
    ],
    ['legacy-only over stdio', eraStdioFlags('legacy'), 'legacy', 'request'],
  ];
}

test('call ask_name --answer elicitation=... answers the form in both eras; asks say via', async () => {
  for (const [label, flags, era, via] of eras()) {
    const run = await runCli(
      [
        'call',
        ...flags,
        'ask_name',
        '--json',
        '--answer',
        'elicitation={"action":"accept","content":{"name":"Ada"}}',
      ],
      { env },
    );
    assert.equal(run.code, 0, `${label}: ${run.stdout}${run.stderr}`);
    const out = JSON.parse(run.stdout);
    assert.equal(out.content[0].text, 'hello Ada', label);
    assert.equal(out.protocol.era, era, label);
    assert.equal(out.asks.length, 1, label);
    assert.deepEqual(
      {
        method: out.asks[0].method,
        kind: out.asks[0].kind,
        via: out.asks[0].via,
        answered: out.asks[0].answered,
      },
      { method: 'elicitation/create', kind: 'elicitation', via, answered: 'canned' },
      label,
    );
    assert.equal(out.asks[0].message, ASK_NAME_MESSAGE, label);
    assert.deepEqual(Object.keys(out.asks[0].requestedSchema.properties), ['name'], label);
  }
});

test('elicitation=decline and the content object alone', async () => {
  const url = (servers.get('modern') as EraServer).url;
  const declined = await runCli(['call', '--url', url, 'ask_name', '--answer', 'elicitation=decline'], {
    env,
  });
  assert.equal(declined.code, 0, declined.stderr);
  assert.equal(declined.stdout, 'no name (decline)\n');
  const legacy = (servers.get('legacy') as EraServer).url;
  const bare = await runCli(['call', '--url', legacy, 'ask_name', '--answer', 'elicitation={"name":"Bo"}'], {
    env,
  });
  assert.equal(bare.code, 0, bare.stderr);
  assert.equal(bare.stdout, 'hello Bo\n');
  assert.match(bare.stderr, /^MCP 2025-11-25 \(legacy\)$/m);
});

test('without an answer, off a terminal, the call fails naming the question and how to answer', async () => {
  for (const [label, flags, , via] of eras()) {
    const run = await runCli(['call', ...flags, 'ask_name'], { env, input: '' });
    assert.equal(run.code, 1, `${label}: ${run.stdout}${run.stderr}`);
    assert.match(run.stderr, new RegExp(`asked for input: "${reEscape(ASK_NAME_MESSAGE)}"`), label);
    assert.match(
      run.stderr,
      /--answer elicitation='\{"action":"accept","content":\{"name":"\.\.\."\}\}'/,
      label,
    );
    if (via === 'input_required') assert.match(run.stderr, /an input_required round/, label);
    assert.doesNotMatch(run.stdout, /no name|hello/, `${label}: the tool result is not printed as a success`);
  }
  const json = await runCli(['call', ...eraStdioFlags('modern'), 'ask_name', '--json'], { env, input: '' });
  assert.equal(json.code, 1);
  const { error } = JSON.parse(json.stdout);
  assert.equal(error.code, 'input_required');
  assert.deepEqual(
    { kind: error.details.kind, via: error.details.via, message: error.details.message },
    { kind: 'elicitation', via: 'input_required', message: ASK_NAME_MESSAGE },
  );
});

test('sampling answers, as JSON or plain text, in both eras', async () => {
  for (const [label, flags] of eras()) {
    const run = await runCli(
      ['call', ...flags, 'ask_model', '--json', '--answer', 'sampling={"text":"green tests","model":"m1"}'],
      {
        env,
      },
    );
    assert.equal(run.code, 0, `${label}: ${run.stdout}${run.stderr}`);
    const out = JSON.parse(run.stdout);
    assert.equal(out.content[0].text, 'model m1 said: green tests', label);
    assert.equal(out.asks[0].kind, 'sampling', label);
    assert.equal(out.asks[0].message, ASK_MODEL_PROMPT, label);
  }
  const plain = await runCli(
    ['call', '--url', (servers.get('dual') as EraServer).url, 'ask_model', '--answer', 'sampling=just text'],
    { env },
  );
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout, 'model mcptest-canned said: just text\n');
  const unanswered = await runCli(['call', '--url', (servers.get('modern') as EraServer).url, 'ask_model'], {
    env,
  });
  assert.equal(unanswered.code, 1);
  assert.match(
    unanswered.stderr,
    new RegExp(`asked for a sampling completion \\(an LLM reply\\) to "${reEscape(ASK_MODEL_PROMPT)}"`),
  );
  assert.match(unanswered.stderr, /--answer sampling=/);
});

test('roots answers in both eras', async () => {
  for (const [label, flags] of eras()) {
    const run = await runCli(
      [
        'call',
        ...flags,
        'ask_roots',
        '--json',
        '--answer',
        'roots=[{"uri":"file:///work","name":"w"},"file:///tmp"]',
      ],
      { env },
    );
    assert.equal(run.code, 0, `${label}: ${run.stdout}${run.stderr}`);
    const out = JSON.parse(run.stdout);
    assert.equal(out.content[0].text, 'roots: file:///work, file:///tmp', label);
    assert.equal(out.asks[0].kind, 'roots', label);
  }
});

test('a URL-mode elicitation off a terminal is refused with the URL in the message', async () => {
  const flagSets = [
    ['--url', (servers.get('modern') as EraServer).url],
    ['--url', (servers.get('dual') as EraServer).url, '--protocol', '2025-11-25'],
  ];
  for (const flags of flagSets) {
    const run = await runCli(['call', ...flags, 'ask_url'], { env, input: '' });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, new RegExp(`asked to open ${reEscape(ASK_URL)}`));
    assert.match(run.stderr, /URL-mode elicitation/);
  }
});

test('a server that keeps asking is stopped after the bound on input_required rounds', async () => {
  const url = (servers.get('modern') as EraServer).url;
  const run = await runCli(
    ['call', '--url', url, 'ask_forever', '--answer', 'elicitation={"name":"x"}', '--json'],
    {
      env,
    },
  );
  assert.equal(run.code, 1, run.stdout);
  const { error } = JSON.parse(run.stdout);
  assert.equal(error.code, 'input_required');
  assert.match(error.message, /kept asking for input: 8 rounds of input_required without a result/);
});

test('bad --answer values get a clear error with an example', async () => {
  const url = (servers.get('modern') as EraServer).url;
  const cases: Array<[string, RegExp, RegExp]> = [
    [
      'elicitation={oops',
      /--answer elicitation=\.\.\.: not JSON/,
      /hint: --answer elicitation='\{"action":"accept"/,
    ],
    [
      'elicitation={"action":"maybe"}',
      /action must be accept, decline or cancel, not "maybe"/,
      /hint: --answer elicitation=/,
    ],
    [
      'elicitation={"content":{"a":{"b":1}}}',
      /field "content" must be a string, number, boolean or list of strings/,
      /hint/,
    ],
    [
      'sampling={"model":"m"}',
      /--answer sampling=\.\.\.: expected \{"text": "\.\.\."\}/,
      /hint: --answer sampling=/,
    ],
    [
      'roots={"uri":"file:///w"}',
      /--answer roots=\.\.\.: expected a JSON list of roots/,
      /hint: --answer roots=/,
    ],
    ['roots=["not a uri"]', /"not a uri" is not a URI/, /hint/],
    ['color=blue', /--answer takes elicitation=\.\.\., sampling=\.\.\. or roots=\.\.\., not "color"/, /hint/],
  ];
  for (const [value, message, hint] of cases) {
    const run = await runCli(['call', '--url', url, 'echo', '--args', '{"text":"x"}', '--answer', value], {
      env,
    });
    assert.equal(run.code, 2, `${value}: ${run.stderr}`);
    assert.match(run.stderr, message, value);
    assert.match(run.stderr, hint, value);
  }
});

test('echo keeps its structuredContent, validated against its outputSchema, in both eras', async () => {
  for (const [label, flags] of eras()) {
    const run = await runCli(['call', ...flags, 'echo', '--args', '{"text":"hi"}', '--json'], { env });
    assert.equal(run.code, 0, `${label}: ${run.stderr}`);
    const out = JSON.parse(run.stdout);
    assert.deepEqual(out.structuredContent, { text: 'hi' }, label);
    assert.deepEqual(out.asks, [], label);
  }
});

/** Runs `mcptest ARGS` on a pseudo-terminal (util-linux `script`), typing `typed` into it. */
function onTerminal(args: string[], typed: string): Promise<{ code: number | null; output: string }> {
  const { cleanup: _c, ...plain } = env;
  const line = [process.execPath, CLI, ...args].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', line, '/dev/null'], {
      env: plain,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit on the terminal; output: ${output}`));
    }, 60_000);
    // Typed once the question is on the screen, as a human would.
    let sent = false;
    child.stdout.on('data', () => {
      if (!sent && /: $|\(Ctrl-D to refuse\) $/m.test(output)) {
        sent = true;
        child.stdin.write(typed);
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test('on a terminal, what has no --answer is asked of the human: a form field, a sampling reply', async () => {
  for (const kind of ['modern', 'legacy'] as const) {
    const url = (servers.get(kind) as EraServer).url;
    const form = await onTerminal(['call', '--url', url, 'ask_name'], 'Grace\r');
    assert.equal(form.code, 0, form.output);
    assert.match(form.output, new RegExp(`The server asks: ${reEscape(ASK_NAME_MESSAGE)}`));
    assert.match(form.output, /name \(your name\) \[string, required\]: /);
    assert.match(form.output, /hello Grace/);
    assert.doesNotMatch(form.output, /Fulfilling input required/, 'the SDK rounds are not shown as progress');
    const sampling = await onTerminal(['call', '--url', url, 'ask_model'], 'from a human\r');
    assert.equal(sampling.code, 0, sampling.output);
    assert.match(sampling.output, new RegExp(`LLM completion of: ${reEscape(ASK_MODEL_PROMPT)}`));
    assert.match(sampling.output, /model human said: from a human/);
  }
});

test('on a terminal, a URL-mode elicitation prints the URL and waits for Enter, then accepts', async () => {
  const url = (servers.get('modern') as EraServer).url;
  const run = await onTerminal(['call', '--url', url, 'ask_url'], '\r');
  assert.equal(run.code, 0, run.output);
  assert.match(
    run.output,
    new RegExp(`open this URL \\(Connect your account\\):\\r?\\n {2}${reEscape(ASK_URL)}`),
  );
  assert.match(run.output, /url accept/);
});
