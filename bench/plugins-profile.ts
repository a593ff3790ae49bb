// Profile of one plugin install (docs/plugins.md, "Speed"): where the time above a bare exec
// goes. Prints, per phase, the median over the runs of the time since the install started:
// the backend's own work (folder walk, lock, records), every engine HTTP call (from Node's
// http diagnostics channel), and the script's STEP/OK lines as they arrive (so the gaps
// between them are the time spent inside the container, plus one-way latency).
//   node esbuild.mjs --tests && node out/bench/plugins-profile.js [runs] [first|re]
import { subscribe } from 'node:diagnostics_channel';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { packPluginFolder } from '../server/src/archive/pluginTar';
import { Backend } from '../server/src/backend';
import type { Engine } from '../server/src/engine/engine';
import { scriptCommand } from '../server/src/install/script';
import { scanPluginFolder } from '../server/src/install/source';
import type { OperationContext } from '../server/src/operation';
import { cleanupTestObjects, createTestContainer } from '../test/fixtures/docker';
import { makePlugin } from './lib/pluginFolder';
import { median } from './lib/stats';

const RUNS = Number(process.argv[2] ?? '15');
const MODE = process.argv[3] === 're' ? 're' : process.argv[3] === 'parts' ? 'parts' : 'first';

interface Mark {
  readonly label: string;
  readonly at: number;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'berth-profile-'));
  const folder = join(work, 'plugin');
  mkdirSync(folder);
  makePlugin(folder);
  const backend = new Backend({ settings: { stateDir: join(work, 'state') } });
  const engine = backend.engine();
  const container = await createTestContainer();
  let marks: Mark[] = [];
  let t0 = 0;
  const mark = (label: string) => marks.push({ label, at: performance.now() - t0 });
  const pathOf = (request: { path?: string; method?: string }) =>
    `${request.method ?? ''} ${(request.path ?? '').replace(/\?.*/, '').replace(/[0-9a-f]{64}/g, '<id>')}`;
  subscribe('http.client.request.start', (message) => {
    const request = (message as { request: ClientRequest }).request;
    const label = pathOf(request);
    mark(`http> ${label}`);
    // The exec's start is hijacked: its response never finishes, its socket carries stdout.
    request.once('upgrade', (_res, socket) => {
      mark(`http^ ${label} (upgraded)`);
      socket.once('data', () => mark('stdout first bytes'));
      socket.once('end', () => mark('stdout end'));
    });
  });
  subscribe('http.client.response.finish', (message) => mark(`http< ${pathOf((message as { request: { path?: string; method?: string } }).request)}`));
  const ctx: OperationContext = { signal: new AbortController().signal, progress: { report: (message) => mark(`step  ${message.replace(/ \d+\/\d+ KiB$/, ' …KiB').replace(/^Installing [^:]*: /, '')}`) } };
  try {
    if (MODE === 'parts') {
      await parts(engine, container.id, folder);
      return;
    }
    const bare: number[] = [];
    const timelines: Mark[][] = [];
    const totals: number[] = [];
    for (let i = -3; i < RUNS; i++) {
      const b0 = performance.now();
      await engine.exec(container.id, { cmd: ['true'] });
      if (i >= 0) bare.push(performance.now() - b0);
      marks = [];
      t0 = performance.now();
      await backend.plugins.install({ workload: container.id, folder, name: MODE === 're' ? 'p' : `p${i + 3}` }, ctx);
      const total = performance.now() - t0;
      if (i >= 0) {
        totals.push(total);
        // Upload progress lines repeat; keep the first of each label.
        const seen = new Map<string, number>();
        const timeline: Mark[] = [];
        for (const m of marks) {
          const n = (seen.get(m.label) ?? 0) + 1;
          seen.set(m.label, n);
          timeline.push({ label: n > 1 ? `${m.label} #${n}` : m.label, at: m.at });
        }
        timelines.push(timeline);
      }
    }
    const labels: string[] = [];
    for (const t of timelines) for (const m of t) if (!labels.includes(m.label)) labels.push(m.label);
    const rows = labels.map((label) => {
      const at = timelines.flatMap((t) => t.filter((m) => m.label === label).map((m) => m.at));
      return { label, at: median(at), n: at.length };
    });
    rows.sort((a, b) => a.at - b.at);
    const out = [`${MODE === 're' ? 'reinstall' : 'first install'}: ${RUNS} runs; medians of the time since the install started (n = runs that had the mark)`];
    for (const r of rows) out.push(`${r.at.toFixed(1).padStart(7)} ms  ${r.label}${r.n === RUNS ? '' : `  (n=${r.n})`}`);
    out.push(`total ${median(totals).toFixed(1)} ms; bare exec ${median(bare).toFixed(1)} ms; ratio ${(median(totals) / median(bare)).toFixed(2)}x`, '');
    process.stdout.write(out.join('\n'));
  } finally {
    await cleanupTestObjects();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The install's pieces, each alone in its own exec, against a bare exec in the same run. */
async function parts(engine: Engine, id: string, folder: string): Promise<void> {
  const source = await scanPluginFolder(folder);
  const pack = () => packPluginFolder(source.folder, source.entries, { trailer: { path: '.berth-end', content: 'x' } });
  let n = 0;
  const sh = (script: string, stdin?: () => Readable) => () => engine.exec(id, { cmd: ['sh', '-c', script], ...(stdin ? { stdin: stdin() } : {}) });
  const cases: [string, () => Promise<unknown>][] = [
    ['bare exec (true)', () => engine.exec(id, { cmd: ['true'] })],
    ['bare exec with stdin attached (true)', () => engine.exec(id, { cmd: ['true'], stdin: Readable.from([]) })],
    ['plugin.sh list (script start-up)', () => engine.exec(id, { cmd: scriptCommand('list', '/configs/plugins') })],
    ['scan the folder (host)', () => scanPluginFolder(folder)],
    ['pack to nowhere (host)', () => pipeline(pack(), new Writable({ write: (_c, _e, done) => done() }))],
    ['cat >/dev/null < tar', sh('cat >/dev/null', pack)],
    ['tar -x < tar (overlay)', () => sh(`d=/configs/plugins/.x${n++} && mkdir -p $d && tar -x -o -f - -C $d`, pack)()],
    ['sync -f (after the tar -x)', sh('sync -f /configs/plugins')],
    ['rm -rf one extracted copy', () => sh(`rm -rf /configs/plugins/.x${--n}`)()],
    ['10 forks of mv on one file', sh('touch /tmp/m0; for i in 1 2 3 4 5 6 7 8 9 10; do mv /tmp/m$((i-1)) /tmp/m$i; done; rm /tmp/m10')],
  ];
  const times = new Map<string, number[]>(cases.map(([k]) => [k, []]));
  await sh('mkdir -p /configs/plugins')();
  for (let i = -3; i < RUNS; i++) {
    for (const [label, run] of cases) {
      const start = performance.now();
      await run();
      if (i >= 0) times.get(label)?.push(performance.now() - start);
    }
  }
  const out = [`parts: ${RUNS} interleaved runs, medians`];
  for (const [label, values] of times) out.push(`${median(values).toFixed(1).padStart(7)} ms  ${label}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
  process.exitCode = 1;
});
