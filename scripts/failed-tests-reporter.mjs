// A node:test reporter that writes one JSON line per failed test (file, name, first lines of the
// error) and nothing else; scripts/run-tests.mjs reads them to list the failures again at the end.
const MAX_LINES = 4;

function firstLines(error) {
  // A failed test's error wraps what the test threw as its cause.
  const thrown = error?.cause ?? error;
  const text = String(thrown?.message ?? thrown ?? 'failed');
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '')
    .slice(0, MAX_LINES);
}

/** The lines from the first `…Error:` on, of what a test file wrote to stderr before it failed. */
function thrownLines(stderr) {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const at = lines.findIndex((l) => /^[A-Za-z]*Error\b/.test(l));
  return at < 0 ? [] : lines.slice(at, at + MAX_LINES);
}

export default async function* failedTests(source) {
  // What each file wrote to stderr (bounded): a file that fails to load says why only there.
  const stderr = new Map();
  for await (const event of source) {
    if (event.type === 'test:stderr' && event.data.file) {
      const seen = stderr.get(event.data.file) ?? '';
      if (seen.length < 8192) stderr.set(event.data.file, seen + event.data.message);
      continue;
    }
    if (event.type !== 'test:fail') continue;
    const { name, file, details } = event.data;
    // A suite that failed because a test in it failed adds nothing to the list.
    if (details?.error?.failureType === 'subtestsFailed') continue;
    let error = firstLines(details?.error);
    if (file && name === file) {
      const thrown = thrownLines(stderr.get(file) ?? '');
      if (thrown.length > 0) error = thrown;
    }
    yield `${JSON.stringify({ file: file ?? null, name, error })}\n`;
  }
}
