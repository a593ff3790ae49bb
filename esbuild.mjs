// One build pipeline: bundles the extension, the backend and the CLI into dist/, and (with
// --tests) the test and benchmark files into out/.
//
// dockerode pulls in ssh2, which optionally loads two native parts: `cpu-features` and
// `sshcrypto.node`. Both loads sit in try/catch inside ssh2 and fall back to pure JS, so we
// leave them external on purpose: the bundle then works whether or not they exist next to it,
// and the .vsix ships no native code.
import * as esbuild from 'esbuild';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const withTests = args.has('--tests');
const watch = args.has('--watch');

const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
const optionalNative = ['cpu-features', '*.node'];

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  // Error class names appear in logs and in error data; keep them readable when minified.
  keepNames: true,
  logLevel: 'warning',
  external: ['vscode', ...optionalNative],
  // In-container POSIX sh scripts (server/src/**/*.sh) are bundled as strings.
  loader: { '.sh': 'text' },
  define: { __BERTH_VERSION__: JSON.stringify(version) },
};

const builds = [
  { ...common, entryPoints: { extension: 'client/src/extension.ts' }, outdir: 'dist' },
  { ...common, entryPoints: { server: 'server/src/main.ts' }, outdir: 'dist' },
  { ...common, entryPoints: { cli: 'cli/src/main.ts' }, outdir: 'dist' },
];

function collect(dir, pattern) {
  const found = [];
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...collect(path, pattern));
    else if (pattern.test(name)) found.push(path);
  }
  return found;
}

if (withTests) {
  // Tests bundle the project's own sources but keep npm packages external, so they exercise the
  // same modules as the shipped bundles without copying node_modules into out/.
  const entryPoints = [
    ...collect('test/unit', /\.test\.ts$/),
    ...collect('test/integration', /\.test\.ts$/),
    ...collect('test/vscode', /\.ts$/),
    ...collect('test/fixtures', /\.ts$/),
    ...collect('bench', /\.ts$/),
  ];
  if (entryPoints.length > 0) {
    builds.push({
      ...common,
      entryPoints,
      outdir: 'out',
      outbase: '.',
      packages: 'external',
      sourcemap: 'inline',
    });
  }
}

/**
 * Translations are kept as one fragment per capability (l10n/<locale>/<capability>.json) so
 * parallel work does not collide in one file; VS Code and @vscode/l10n read one bundle per
 * locale, built here.
 */
function buildL10nBundles() {
  for (const locale of readdirSync('l10n')) {
    const dir = join('l10n', locale);
    if (!statSync(dir).isDirectory()) continue;
    const merged = {};
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
      Object.assign(merged, JSON.parse(readFileSync(join(dir, name), 'utf8')));
    }
    const sorted = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
    writeFileSync(join('l10n', `bundle.l10n.${locale}.json`), `${JSON.stringify(sorted, null, 2)}\n`);
  }
}
buildL10nBundles();

if (watch) {
  for (const options of builds) {
    const context = await esbuild.context(options);
    await context.watch();
  }
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
