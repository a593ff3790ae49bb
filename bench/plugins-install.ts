// Benchmark: installing a 1 MiB plugin of ~130 files into a running container, against two
// baselines measured in the same run (docs/plugins.md, "Speed"):
//   (a) one bare exec round trip running `true`;
//   (b) the naive sequence: one putArchive plus a separate exec for each step;
//   (c) Berth's install (one exec that reads the tar on stdin and runs every step);
//   (d) for reference, one exec that only extracts the same tar.
// Goals: (c)/(a) <= 1.5 and (b)/(c) >= 5. Prints medians and ratios; asserts nothing.
//   node esbuild.mjs --tests && node out/bench/plugins-install.js [runs]
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../server/src/backend';
import { packPluginFolder } from '../server/src/archive/pluginTar';
import { detachedContext } from '../server/src/operation';
import { scanPluginFolder } from '../server/src/install/source';
import { cleanupTestObjects, createTestContainer } from '../test/fixtures/docker';
import { makePlugin } from './lib/pluginFolder';
import { median } from './lib/stats';

const RUNS = Number(process.argv[2] ?? '15');
const ROOT = '/configs/plugins';

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
  const backend = new Backend({ settings: { stateDir } });
  const engine = backend.engine();
  const container = await createTestContainer();
  const id = container.id;
  try {
    const source = await scanPluginFolder(folder);
    const sh = (script: string) => engine.exec(id, { cmd: ['sh', '-c', script] });
    let n = 0;
    // The naive sequence: every step its own round trip, as a straightforward implementation
    // would do it, with the same steps and the same data as ours.
    const naive = async (name: string) => {
      const stamp = `n${n++}`;
      const staged = `${ROOT}/.staging/${name}.${stamp}`;
      await sh(`mkdir -p ${ROOT}/.staging ${ROOT}/.previous`);
      await engine.putArchive(id, `${ROOT}/.staging`, packPluginFolder(source.folder, source.entries, { prefix: `${name}.${stamp}`, trailer: { path: '.berth-end', content: stamp } }));
      await sh(`test -f ${staged}/.berth-end && rm ${staged}/.berth-end`);
      await sh(`printf 'op install\\n' > ${ROOT}/.staging/${name}.${stamp}.journal && sync`);
      await sh(`if [ -e ${ROOT}/${name} ]; then mv ${ROOT}/${name} ${ROOT}/.previous/${name}.${stamp}; fi`);
      await sh(`mv ${staged} ${ROOT}/${name}`);
      await sh(`printf '{}\\n' > ${ROOT}/${name}/.complete && rm -f ${ROOT}/.staging/${name}.${stamp}.journal`);
      await sh(`for e in ${ROOT}/.previous/${name}.*; do [ "$e" = ${ROOT}/.previous/${name}.${stamp} ] || rm -rf "$e"; done`);
    };
    const ours = (name: string) => backend.plugins.install({ workload: id, folder, name }, detachedContext());
    const bare = () => engine.exec(id, { cmd: ['true'] });
    // The floor for getting the files into the container at all: one exec that only extracts
    // the same tar into a fresh folder (no staging, journal, fsync, swap or marker).
    let x = 0;
    const extractOnly = () => {
      const dir = `/tmp/extract${x++}`;
      return engine.exec(id, { cmd: ['sh', '-c', `mkdir ${dir} && tar -x -o -f - -C ${dir}`], stdin: packPluginFolder(source.folder, source.entries, { prefix: 'p', trailer: { path: '.berth-end', content: 'x' } }) });
    };

    // Warm up each path (the engine's first exec in a container is slower) and give the
    // reinstall series a live version and a previous one, so every timed reinstall snapshots
    // the live version and deletes an older 1 MiB previous one (the GC step).
    for (let i = 0; i < 3; i++) {
      await bare();
      await extractOnly();
      await naive('naive');
      await ours('ours');
    }
    const series = { bare: [] as number[], extract: [] as number[], naiveRe: [] as number[], oursRe: [] as number[], naiveFirst: [] as number[], oursFirst: [] as number[] };
    // Interleaved, so load on this shared machine affects every series alike.
    for (let i = 0; i < RUNS; i++) {
      series.bare.push(await time(bare));
      series.extract.push(await time(extractOnly));
      series.naiveRe.push(await time(() => naive('naive')));
      series.oursRe.push(await time(() => ours('ours')));
      series.naiveFirst.push(await time(() => naive(`naive${i}`)));
      series.oursFirst.push(await time(() => ours(`ours${i}`)));
    }
    const m = Object.fromEntries(Object.entries(series).map(([k, v]) => [k, median(v)])) as Record<keyof typeof series, number>;
    const fmt = (v: number) => `${v.toFixed(1).padStart(7)} ms`;
    process.stdout.write(
      [
        `plugin: ${source.files} files, ${(source.bytes / 1024).toFixed(0)} KiB; ${RUNS} interleaved runs each, medians; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
        `(a) bare exec round trip (true)                      ${fmt(m.bare)}`,
        `(d) one exec extracting the same tar, nothing else   ${fmt(m.extract)}`,
        `(b) naive putArchive + exec per step, reinstall      ${fmt(m.naiveRe)}`,
        `(c) Berth install, reinstall (snapshot + GC 1 MiB)   ${fmt(m.oursRe)}`,
        `(b') naive, first install of a name                  ${fmt(m.naiveFirst)}`,
        `(c') Berth install, first install of a name          ${fmt(m.oursFirst)}`,
        `reinstall:     ours / bare exec = ${(m.oursRe / m.bare).toFixed(2)}x (goal <= 1.5x)   naive / ours = ${(m.naiveRe / m.oursRe).toFixed(2)}x (goal >= 5x)`,
        `first install: ours / bare exec = ${(m.oursFirst / m.bare).toFixed(2)}x (goal <= 1.5x)   naive / ours = ${(m.naiveFirst / m.oursFirst).toFixed(2)}x (goal >= 5x)`,
        `first install: ours / extract-only exec = ${(m.oursFirst / m.extract).toFixed(2)}x (what the steps around the extraction cost)`,
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
