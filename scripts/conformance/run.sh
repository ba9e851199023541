#!/bin/sh
# Runs the MCP conformance suite in client mode with mcptest as the client (through
# scripts/conformance/client.mjs). Needs a build first (npm run build). Two releases are installed:
#   0.1.16         @modelcontextprotocol/conformance (suites)
#   0.2.0-alpha.12 conformance-next (requirement sets, each run at its revision's wire)
# Usage:
#   scripts/conformance/run.sh                                   # 0.1.16: suites auth backcompat draft extensions
#   scripts/conformance/run.sh --scenario auth/scope-step-up     # 0.1.16: one scenario
#   scripts/conformance/run.sh --requirements 2026-07-28         # 0.2.0-alpha.12: what 2026-07-28 requires
#   scripts/conformance/run.sh --requirements 2025-11-25 -o /tmp/results
#   CONFORMANCE=next scripts/conformance/run.sh --scenario auth/iss-supported --spec-version 2026-07-28
# On Node 20 either release is loaded through the module-resolution hook `mcptest conformance` uses
# (dist/cli/conformance/register-hook.js, from the build) that gives its
# `fs` import a globSync stub; see docs/conformance.md. Scenarios of a run go in parallel; the
# per-scenario limit is CONFORMANCE_TIMEOUT_MS (default 300000: a loaded 2-core machine is slow).
set -u
cd "$(dirname "$0")/../.."
case " $* " in
*" --requirements "*) CONFORMANCE=${CONFORMANCE:-next} ;;
esac
case "${CONFORMANCE:-0.1.16}" in
next) PKG=node_modules/conformance-next/dist/index.js ;;
0.1.16) PKG=node_modules/@modelcontextprotocol/conformance/dist/index.js ;;
*)
  echo "CONFORMANCE must be 0.1.16 or next, not ${CONFORMANCE}" >&2
  exit 2
  ;;
esac
CONF="node --import ./dist/cli/conformance/register-hook.js $PKG"
CMD="node scripts/conformance/client.mjs"
TIMEOUT="${CONFORMANCE_TIMEOUT_MS:-300000}"
if [ "$#" -gt 0 ]; then
  exec $CONF client --command "$CMD" --timeout "$TIMEOUT" "$@"
fi
status=0
for suite in ${CONFORMANCE_SUITES:-auth backcompat draft extensions}; do
  echo "=== conformance suite: $suite ==="
  $CONF client --command "$CMD" --suite "$suite" --timeout "$TIMEOUT" || status=1
done
exit $status
