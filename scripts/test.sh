#!/usr/bin/env bash
# Sets up everything and runs every test: unit, integration against a real Docker engine, and
# tests inside a real VS Code (code-server in headless Chromium). Works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== setup"
npm ci --no-audit --no-fund --loglevel=error
scripts/ensure-engine.sh
code_server="$(scripts/ensure-vscode-host.sh)"
export BERTH_CODE_SERVER="$code_server"

echo "== build"
npm run --silent typecheck
npm run --silent lint
node esbuild.mjs
node esbuild.mjs --tests
npm run --silent package >/dev/null

BERTH_TEST_RUN="run$$-$(date +%s)"
export BERTH_TEST_RUN
# Runs from the EXIT trap (shellcheck cannot see a trap's calls).
# shellcheck disable=SC2317
cleanup_run() {
  local ids vols
  mapfile -t ids < <(docker ps -aq --filter "label=berth-test=$BERTH_TEST_RUN" 2>/dev/null || true)
  if [ ${#ids[@]} -gt 0 ]; then docker rm -f "${ids[@]}" >/dev/null 2>&1 || true; fi
  mapfile -t vols < <(docker volume ls -q --filter "label=berth-test=$BERTH_TEST_RUN" 2>/dev/null || true)
  if [ ${#vols[@]} -gt 0 ]; then docker volume rm -f "${vols[@]}" >/dev/null 2>&1 || true; fi
}
trap cleanup_run EXIT

status=0
echo "== unit tests"
node --test --test-reporter=spec out/test/unit/ || status=1
echo "== integration tests (real engine)"
node --test --test-concurrency=1 --test-reporter=spec out/test/integration/ || status=1
if [ -d out/test/vscode ]; then
  echo "== VS Code tests (real VS Code)"
  node --test --test-concurrency=1 --test-reporter=spec out/test/vscode/ || status=1
fi
exit $status
