// What Berth's workspace export costs over doing the same thing by hand. A 10,000-file repo is
// imported into a container with git, 100 of its files are changed there, and then, in the same
// run and interleaved:
//   by hand   `docker exec <c> sh -c '<the same git commands>' > file`: copy the index, stage the
//             working tree into the copy (GIT_INDEX_FILE, temp object folder), the raw/numstat
//             list, the binary patch, remove the temp folder; the baseline;
//   backend   Backend.workspace.export in-process, patch to a file (what the CLI runs);
//   cli       `node bin/berth.js workspace export <c> --output file` as a separate process.
// Prints the medians and the ratios against by hand (goal: backend ≤ 1.2×), and checks that
// both produce the same patch. Run: `node esbuild.mjs && node esbuild.mjs --tests &&
// node out/bench/workspace-export.js`.
import { execFile, spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Backend } from '../server/src/backend';
import { detachedContext } from '../server/src/operation';
import { cleanupTestObjects, createTestContainer, docker, uniqueName } from '../test/fixtures/docker';
import { ensureGitImage } from '../test/fixtures/gitImage';
import { git, tempDir, writeFiles } from '../test/fixtures/gitRepo';
import { shellCommand } from '../test/fixtures/shell';
import { median } from './lib/stats';

const FILES = Number(process.env.BERTH_BENCH_FILES ?? 10_000);
const CHANGED = Number(process.env.BERTH_BENCH_CHANGED ?? 100);
const ITERATIONS = Number(process.env.BERTH_BENCH_ITERATIONS ?? 15);
const WARMUP = 2;
const GOAL = 1.2;
const REPO = '/workspace';

async function time(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/** Runs a program with stdout going straight to a file, as a shell's `> file` would. */
function runToFile(file: string, args: readonly string[], outPath: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const fd = openSync(outPath, 'w');
    const child = spawn(file, [...args], { stdio: ['ignore', fd, 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      closeSync(fd);
      if (code === 0) resolvePromise();
      else reject(new Error(`${file} exited ${code}: ${stderr}`));
    });
  });
}

/** The by-hand commands, with every path and ref quoted for the shell that docker exec runs. */
function byHandScript(repo: string, base: string): string {
  const q = (...argv: string[]) => shellCommand(argv);
  const diff = ['git', 'diff', '--cached', '--no-renames', '--full-index'];
  return [
    `cd ${q(repo)}`,
    't=$(mktemp -d)',
    'cp .git/index "$t/index"',
    'mkdir "$t/objects"',
    `export GIT_INDEX_FILE="$t/index" GIT_OBJECT_DIRECTORY="$t/objects" GIT_ALTERNATE_OBJECT_DIRECTORIES=${q(`${repo}/.git/objects`)}`,
    'git add -A',
    `${q(...diff, '--raw', '--numstat', '-z', '--no-abbrev', base)} > "$t/list"`,
    `${q(...diff, '-p', '--binary', base)}`,
    'rm -rf "$t"',
  ].join(' && ');
}

async function main(): Promise<void> {
  const d = docker();
  const image = await ensureGitImage(d);
  const stateDir = tempDir('berth-bench-state-');
  const env = { ...process.env, BERTH_STATE_DIR: stateDir };
  const backend = new Backend({ settings: { stateDir }, env });
  const work = tempDir('berth-bench-ws-');
  try {
    const local = join(work, 'repo');
    let start = performance.now();
    const files: Record<string, string> = {};
    for (let i = 0; i < FILES; i++) files[`dir${String(Math.floor(i / 100)).padStart(3, '0')}/file${String(i).padStart(5, '0')}.txt`] = `file ${i}\n${'content line\n'.repeat(8)}`;
    git(work, 'init', '-q', '-b', 'main', local);
    // No background `gc --auto` after committing 10k loose objects: it would repack while the
    // import reads .git.
    git(local, 'config', 'gc.auto', '0');
    writeFiles(local, files);
    git(local, 'add', '-A');
    git(local, 'commit', '-q', '-m', 'base');
    const base = git(local, 'rev-parse', 'HEAD');
    console.log(`made a ${FILES}-file repo in ${Math.round(performance.now() - start)} ms`);

    const name = uniqueName('berth-bench-ws');
    const container = await createTestContainer({ name, image }, d);
    start = performance.now();
    const imported = await backend.workspace.import({ workload: name, dir: local }, detachedContext());
    console.log(`imported it (${imported.entries} entries, ${(imported.bytes / 1048576).toFixed(1)} MiB) in ${Math.round(performance.now() - start)} ms`);
    const step = Math.floor(FILES / CHANGED);
    const changed = Array.from({ length: CHANGED }, (_, k) => Object.keys(files)[k * step] ?? '');
    const exec = await container.exec({ Cmd: ['sh', '-c', 'cd /workspace && for f; do echo "changed in the container" >> "$f"; done', 'change', ...changed], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    await new Promise((r) => stream.on('end', r).resume());

    const out = (label: string) => join(work, `${label}.patch`);
    const cli = resolve('bin/berth.js');
    const runs = {
      'by hand': () => runToFile('docker', ['exec', name, 'sh', '-c', byHandScript(REPO, base)], out('by-hand')),
      backend: () => backend.workspace.export({ workload: name }, { kind: 'file', path: out('backend') }, detachedContext()),
      cli: () => promisify(execFile)(process.execPath, [cli, 'workspace', 'export', name, '--output', out('cli')], { env }),
    };
    for (const run of Object.values(runs)) await run();
    const byHand = readFileSync(out('by-hand'));
    if (!byHand.equals(readFileSync(out('backend'))) || !byHand.equals(readFileSync(out('cli')))) throw new Error('the patches differ');
    const result = await backend.workspace.export({ workload: name }, { kind: 'discard' }, detachedContext());
    if (result.files.length !== CHANGED) throw new Error(`expected ${CHANGED} changed files, got ${result.files.length}`);
    console.log(`all three give the same ${byHand.length}-byte patch of ${result.files.length} files (${result.method})`);

    const names = Object.keys(runs) as (keyof typeof runs)[];
    const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<keyof typeof runs, number[]>;
    for (let i = 0; i < WARMUP + ITERATIONS; i++) {
      // Interleaved, in a rotating order, so drift in the machine's load hits all alike.
      const order = names.map((_, k) => names[(i + k) % names.length] as keyof typeof runs);
      for (const n of order) {
        const ms = await time(runs[n]);
        if (i >= WARMUP) samples[n].push(ms);
      }
    }

    const hand = median(samples['by hand']);
    const line = (label: string, ms: number) => `${label.padEnd(52)} median ${ms.toFixed(1).padStart(8)} ms   ${(ms / hand).toFixed(2)}× by hand`;
    console.log(`\nworkspace export, ${FILES} files, ${CHANGED} changed, ${ITERATIONS} iterations each (after ${WARMUP} warm-up):`);
    console.log(line('by hand: docker exec sh -c "<same git commands>"', hand));
    console.log(line('Backend.workspace.export (in-process)', median(samples.backend)));
    console.log(line('berth workspace export --output (CLI process)', median(samples.cli)));
    const ratio = median(samples.backend) / hand;
    console.log(`\nratio backend/by hand = ${ratio.toFixed(2)} (goal ≤ ${GOAL}): ${ratio <= GOAL ? 'MET' : 'NOT MET'}`);
    console.log(`ratio cli/by hand = ${(median(samples.cli) / hand).toFixed(2)} (includes starting Node and loading the CLI)`);
  } finally {
    await cleanupTestObjects(d);
    rmSync(work, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
