// `npm run bench`: runs every bundled benchmark (out/bench/*.js, built by
// `node esbuild.mjs --tests`) one after another, so they do not disturb each other's timings.
// Files in subfolders of out/bench are helpers, not benchmarks.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'out', 'bench');
let names = [];
try {
  names = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
    .map((entry) => entry.name)
    .sort();
} catch {
  // No out/bench: nothing was built.
}
if (names.length === 0) {
  console.error(`No benchmarks in ${dir}; run \`node esbuild.mjs --tests\` first.`);
  process.exit(1);
}
let failed = 0;
for (const name of names) {
  console.log(`\n== ${name.replace(/\.js$/, '')}`);
  const result = spawnSync(process.execPath, [join(dir, name)], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`${name} failed (${result.status ?? result.signal})`);
  }
}
process.exit(failed === 0 ? 0 : 1);
