// Benchmark: installing a 1 MiB plugin of ~130 files into a running container, against two
// baselines measured in the same run (docs/plugins.md, "Speed"):
//   (a) one bare exec round trip running `true`;
//   (b) the naive sequence: one putArchive plus a separate exec for each step;
//   (c) Berth's install (one exec that reads the tar on stdin and runs every step).
// Goals: (c)/(a) <= 1.5 and (b)/(c) >= 5. Prints medians and ratios; asserts nothing.
//   node esbuild.mjs --tests && node out/bench/plugins-install.js [runs]
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../server/src/backend';
import { packPluginFolder } from '../server/src/archive/pluginTar';
import { detachedContext } from '../server/src/operation';
import { scanPluginFolder } from '../server/src/install/source';
import { cleanupTestObjects, createTestContainer } from '../test/fixtures/docker';

const RUNS = Number(process.argv[2] ?? '15');
const ROOT = '/configs/plugins';

function makePlugin(dir: string): void {
  const files = 130;
  const total = 1024 * 1024;
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `d${i % 8}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.bin`), randomBytes(Math.floor(total / files)));
  }
  writeFileSync(join(dir, 'plugin.json'), JSON.stringify({ version: '1.0.0' }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  const folder = join(work, 'bench-plugin');
  mkdirSync(folder);
  makePlugin(folder);
  const stateDir = join(work, 'state');
  const backend = new Backend({ stateDir });
  const engine = backend.engine();
  const container = await createTestContainer();
  const id = container.id;
  try {
    const source = await scanPluginFolder(folder);
    const sh = (script: string) => engine.exec(id, { cmd: ['sh', '-c', script] });
    let n = 0;
    const naive = async () => {
      // Every step is its own round trip, as a straightforward implementation would do it.
      const stamp = `n${n++}`;
      const staged = `${ROOT}/.staging/bench.${stamp}`;
      await sh(`mkdir -p ${ROOT}/.staging ${ROOT}/.previous`);
      await engine.putArchive(id, `${ROOT}/.staging`, packPluginFolder(source.folder, source.entries, { prefix: `bench.${stamp}`, trailer: { path: '.berth-end', content: stamp } }));
      await sh(`test -f ${staged}/.berth-end && rm ${staged}/.berth-end`);
      await sh(`printf 'op install\\n' > ${ROOT}/.staging/bench.${stamp}.journal`);
      await sh(`if [ -e ${ROOT}/bench ]; then mv ${ROOT}/bench ${ROOT}/.previous/bench.${stamp}; fi`);
      await sh(`mv ${staged} ${ROOT}/bench`);
      await sh(`printf '{}\\n' > ${ROOT}/bench/.complete && rm -f ${ROOT}/.staging/bench.${stamp}.journal`);
      await sh(`for e in ${ROOT}/.previous/bench.*; do [ "$e" = ${ROOT}/.previous/bench.${stamp} ] || rm -rf "$e"; done`);
    };
    const ours = () => backend.plugins.install({ workload: id, folder, name: 'ours' }, detachedContext());
    const bare = () => engine.exec(id, { cmd: ['true'] });

    // Warm up each path (the engine's first exec in a container is slower).
    for (let i = 0; i < 3; i++) {
      await bare();
      await naive();
      await ours();
    }
    const samples = { bare: [] as number[], naive: [] as number[], ours: [] as number[] };
    // Interleaved, so load on this shared machine affects all three alike.
    for (let i = 0; i < RUNS; i++) {
      samples.bare.push(await time(bare));
      samples.naive.push(await time(naive));
      samples.ours.push(await time(ours));
    }
    const a = median(samples.bare);
    const b = median(samples.naive);
    const c = median(samples.ours);
    const fmt = (v: number) => `${v.toFixed(1)} ms`;
    process.stdout.write(
      [
        `plugin: ${source.files} files, ${(source.bytes / 1024).toFixed(0)} KiB; ${RUNS} runs each (medians)`,
        `(a) bare exec round trip (true):        ${fmt(a)}`,
        `(b) naive putArchive + exec per step:   ${fmt(b)}`,
        `(c) Berth install (one exec, tar stdin): ${fmt(c)}`,
        `ours / bare exec  = ${(c / a).toFixed(2)}x   (goal <= 1.5x)`,
        `naive / ours      = ${(b / c).toFixed(2)}x   (goal >= 5x)`,
        '',
      ].join('\n'),
    );
  } finally {
    await cleanupTestObjects();
    rmSync(work, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
  process.exitCode = 1;
});
