/**
 * A `snapshot:` test: the server's surface, recorded on the test's pooled connection, against the
 * surface file the test names (relative to the suite file). Every change at or above the test's
 * `fail_on` (breaking by default) is one failure naming its JSON pointer; with
 * `--update-snapshots` the file is (re)written instead and the test passes with a note saying so
 * and what it accepted (kept when it differs only by the era it was recorded in, for protocol
 * matrices). A missing file is a failure that says how to create it.
 */
import { readSurfaceFile, writeSurfaceFile } from '../surface/file.js';
import { CHANGE_CLASSES, diffSurfaces } from '../surface/diff.js';
import { recordSurface } from '../surface/record.js';
import { failingChanges, summaryCounts } from '../surface/render.js';
import type { AssertionFailure } from './assertions.js';
import type { RunnerConnection } from './connection-pool.js';
import type { SnapshotSpec } from './suite-schema.js';

export interface SnapshotTestOptions {
  /** The suite file as the user named it, for the hint, and its folder, where the file resolves. */
  suiteFile: string;
  suiteDir: string;
  updateSnapshots: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** The snapshot file a spec names. */
export function snapshotFile(spec: SnapshotSpec): string {
  return typeof spec === 'string' ? spec : spec.file;
}

/**
 * Runs the check: its failures, and the note of a file written or updated by
 * `--update-snapshots`. Errors of the server (or an unreadable file) are thrown for the runner
 * to report.
 */
export async function checkSnapshot(
  conn: RunnerConnection,
  spec: SnapshotSpec,
  options: SnapshotTestOptions,
): Promise<{ failures: AssertionFailure[]; notes: string[] }> {
  const file = snapshotFile(spec);
  const failOn = typeof spec === 'string' ? 'breaking' : (spec.fail_on ?? 'breaking');
  const live = await recordSurface(
    {
      client: conn.client,
      serverInfo: conn.serverInfo,
      capabilities: conn.capabilities,
      era: conn.era,
      protocolVersion: conn.protocolVersion,
      discover: conn.discover,
    },
    { timeoutMs: options.timeoutMs, signal: options.signal },
  );
  const accept = `mcptest run ${options.suiteFile} --update-snapshots`;
  const stored = readSurfaceFile(file, options.suiteDir, true);
  if (options.updateSnapshots) {
    // A protocol matrix records in each era: a file that differs only by the era it was recorded
    // in is kept, so updating twice does not flip it between the eras.
    const changes = stored ? diffSurfaces(stored, live) : [];
    const eraOnly = changes.length > 0 && changes.every((c) => c.pointer === '/recordedWith/era');
    const status = eraOnly ? 'unchanged' : writeSurfaceFile(live, file, options.suiteDir);
    if (status === 'unchanged') return { failures: [], notes: [] };
    const counts = summaryCounts(changes);
    const tally = CHANGE_CLASSES.filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${k}`);
    const accepted =
      status === 'updated' && tally.length
        ? ` (accepted: ${tally.join(', ')} change${changes.length === 1 ? '' : 's'})`
        : '';
    return { failures: [], notes: [`surface snapshot ${file} ${status}${accepted}`] };
  }
  if (!stored) {
    return {
      failures: [
        {
          assertion: 'snapshot',
          message: `there is no surface snapshot ${file} yet; record it with: ${accept}`,
        },
      ],
      notes: [],
    };
  }
  const failing = failingChanges(diffSurfaces(stored, live), failOn);
  if (failing.length === 0) return { failures: [], notes: [] };
  return {
    failures: [
      ...failing.map((c) => ({ assertion: `snapshot ${c.pointer}`, message: `${c.class}: ${c.message}` })),
      {
        assertion: 'snapshot',
        message: `${failing.length} change${failing.length === 1 ? '' : 's'} from ${file} at or above fail_on ${failOn}; if intended, accept them: ${accept}`,
      },
    ],
    notes: [],
  };
}
