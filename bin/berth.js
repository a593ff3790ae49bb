#!/usr/bin/env node
// The `berth` command: the bundled CLI. Build it first with `npm run build`.
require('../dist/cli.js');
