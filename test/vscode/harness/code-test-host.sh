#!/bin/sh
# The `vscodeExecutablePath` for @vscode/test-electron's runTests(): runs the bundled
# main/codeTestHost.js (build it with `node esbuild.mjs --tests`) with test-electron's arguments.
here=$(cd "$(dirname "$0")" && pwd)
exec node "$here/../../../out/test/vscode/harness/main/codeTestHost.js" "$@"
