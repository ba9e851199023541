// node:fs plus a globSync stub, for @modelcontextprotocol/conformance on Node 20: it imports
// fs.globSync (Node 22+) at top level although only its `tier-check` command calls it.
import fs from 'node:fs';

export * from 'node:fs';
export default fs;
export const globSync =
  fs.globSync ??
  (() => {
    throw new Error('fs.globSync needs Node 22 or later (used only by `conformance tier-check`)');
  });
