#!/usr/bin/env bash
# The main job, end to end: set up, build and package Berth, create a small demo workload on the
# local Docker engine, and start a real VS Code (code-server) with Berth installed from the
# .vsix. Prints the URL to open and runs until Ctrl-C, then stops code-server and removes the
# demo workload.
#
# Environment:
#   BERTH_DEMO_PORT              port for code-server (default: a free one)
#   BERTH_DEMO_PREFIX            name prefix of the demo objects (default: berth-demo)
#   BERTH_DEMO_EXIT_AFTER_READY  1: exit (and clean up) once the URL answers, for smoke tests
#   BERTH_DEMO_SKIP_INSTALL      1: skip `npm ci` (skipped anyway when node_modules is newer than
#                                the lockfile)
#   BERTH_DEMO_SKIP_BUILD        1: use the existing dist/berth.vsix
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[demo] %s\n' "$*" >&2; }

echo "== setup"
if [ "${BERTH_DEMO_SKIP_INSTALL:-}" = 1 ]; then
  log "skipping npm ci (BERTH_DEMO_SKIP_INSTALL=1)"
elif [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  # npm ci writes node_modules/.package-lock.json last; a newer lockfile means it must run again.
  log "node_modules is up to date with package-lock.json"
else
  npm ci --no-audit --no-fund --loglevel=error
fi
scripts/ensure-engine.sh
code_server="$(scripts/ensure-vscode-host.sh)"

echo "== build"
# The demo workload is made by a small bundled script,
# out/test/vscode/harness/main/demoWorkload.js,
# that reuses the test fixtures' image.
if [ "${BERTH_DEMO_SKIP_BUILD:-}" = 1 ] && [ -f dist/berth.vsix ] && [ -f out/test/vscode/harness/main/demoWorkload.js ]; then
  log "using the existing dist/berth.vsix and out/ (BERTH_DEMO_SKIP_BUILD=1)"
else
  npm run --silent package >/dev/null
  node esbuild.mjs --tests
fi

demo_home="$(mktemp -d "${TMPDIR:-/tmp}/berth-demo-XXXXXX")"
export BERTH_DEMO_PREFIX="${BERTH_DEMO_PREFIX:-berth-demo}"
export BERTH_DEMO_DIR="$demo_home"
server_pid=""
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$server_pid" ]; then
    # code-server runs in its own process group (setsid), with everything it started.
    kill -TERM -- "-$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 -- "-$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$server_pid" 2>/dev/null || true
  fi
  node out/test/vscode/harness/main/demoWorkload.js remove || log "could not remove the demo workload"
  rm -rf "$demo_home"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== demo workload"
node out/test/vscode/harness/main/demoWorkload.js create

echo "== VS Code (code-server)"
port="${BERTH_DEMO_PORT:-$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")}"
user_data="$demo_home/user-data"
extensions="$demo_home/extensions"
workspace="$demo_home/workspace"
mkdir -p "$user_data/User" "$extensions" "$workspace"
cat > "$user_data/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "telemetry.telemetryLevel": "off"
}
JSON
printf 'This folder is empty; Berth lives in the activity bar on the left.\n' > "$workspace/README.txt"
# code-server writes its config.yaml and state under XDG folders, and VS Code its IPC sockets
# under XDG_RUNTIME_DIR or TMPDIR: keep all of it in the demo folder, which cleanup removes.
mkdir -p "$demo_home/tmp"
export XDG_CONFIG_HOME="$demo_home/xdg/config" XDG_DATA_HOME="$demo_home/xdg/data" XDG_CACHE_HOME="$demo_home/xdg/cache" \
  XDG_RUNTIME_DIR="$demo_home/tmp" TMPDIR="$demo_home/tmp"
entry="$code_server/out/node/entry.js"
node "$entry" --user-data-dir "$user_data" --extensions-dir "$extensions" --install-extension "$PWD/dist/berth.vsix" >/dev/null
setsid node "$entry" --bind-addr "127.0.0.1:$port" --auth none --disable-telemetry --disable-update-check \
  --disable-workspace-trust --user-data-dir "$user_data" --extensions-dir "$extensions" "$workspace" \
  >"$demo_home/code-server.log" 2>&1 &
server_pid=$!

url="http://127.0.0.1:$port/?folder=$workspace"
ready=""
for _ in $(seq 1 600); do
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  if node -e "require('http').get(process.argv[1], (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))" "$url"; then
    ready=1
    break
  fi
  sleep 0.2
done
if [ -z "$ready" ]; then
  log "code-server did not answer on $url; its log:"
  tail -30 "$demo_home/code-server.log" >&2 || true
  exit 1
fi

cat <<EOF_URL

Berth is running in VS Code. Open this URL in a browser on this machine:

    $url

Then click the Berth icon in the activity bar. The demo workload: $BERTH_DEMO_PREFIX (a named
volume at /data and a bind mount at /configs) and the compose project $BERTH_DEMO_PREFIX-shop.
Press Ctrl-C to stop; that also removes the demo workload.

EOF_URL

if [ "${BERTH_DEMO_EXIT_AFTER_READY:-}" = 1 ]; then
  log "BERTH_DEMO_EXIT_AFTER_READY=1: stopping"
  exit 0
fi
wait "$server_pid"
