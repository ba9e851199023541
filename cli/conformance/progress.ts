/**
 * Progress while the suite runs, on stderr: one line rewritten in place on a terminal
 * (`[2026-07-28] 5/37 tools-call-image`), a plain line per scenario otherwise, nothing with `quiet`.
 */
import type { Revision } from './requirement-sets.js';

export interface Progress {
  scenario(revision: Revision, name: string, index: number, count: number): void;
  /** Clears the terminal line before the report is printed. */
  done(): void;
}

export function conformanceProgress(stderr: (text: string) => void, isTTY: boolean, quiet = false): Progress {
  let shown = false;
  return {
    scenario(revision, name, index, count) {
      if (quiet) return;
      const text = `[${revision}] ${index}/${count} ${name}`;
      if (isTTY) {
        stderr(`\r\x1b[K${text}`);
        shown = true;
      } else stderr(`running ${name} [${revision}] (${index}/${count})\n`);
    },
    done() {
      if (shown) stderr('\r\x1b[K');
      shown = false;
    },
  };
}
