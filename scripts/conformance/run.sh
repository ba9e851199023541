#!/bin/sh
# Runs the MCP conformance suite (@modelcontextprotocol/conformance 0.1.16, client mode) with
# mcptest as the client. Needs a build first (npx tsc -p .). Usage:
#   scripts/conformance/run.sh                 # suites auth, backcompat, draft, extensions
#   scripts/conformance/run.sh --scenario auth/scope-step-up
# On Node 20 the suite is loaded through a module-resolution hook (register.mjs) that gives its
# `fs` import a globSync stub; see docs/conformance.md.
set -u
cd "$(dirname "$0")/../.."
CONF="node --import ./scripts/conformance/register.mjs node_modules/@modelcontextprotocol/conformance/dist/index.js"
CMD="node scripts/conformance/client.mjs"
if [ "$#" -gt 0 ]; then
  exec $CONF client --command "$CMD" "$@"
fi
status=0
for suite in ${CONFORMANCE_SUITES:-auth backcompat draft extensions}; do
  echo "=== conformance suite: $suite ==="
  $CONF client --command "$CMD" --suite "$suite" --timeout "${CONFORMANCE_TIMEOUT_MS:-60000}" || status=1
done
exit $status
