// Benchmark: restore of a generated 1 GiB volume, against baselines measured in the same run.
//
//   node esbuild.mjs --tests && node out/bench/restore.js          # 1 GiB, 3 runs
//   BENCH_SIZE_MIB=128 BENCH_RUNS=1 node out/bench/restore.js      # a quick look
//
// Two figures, each a ratio of medians over interleaved runs (the order rotates per run, so
// a busy moment of the shared machine does not land on one contender only):
// - downtime: the restore's stop → started (its `downtimeMs`: stop, the renames, start) divided
//   by a plain stop + start of the same container through the engine API (goal ≤ 1.5×);
// - throughput: `docker cp - <c>:/scratch` of the same data as an uncompressed tar, divided by
//   the restore's time from the request until the restored data is live and the workload runs
//   again (verify the snapshot, stage, verify the staged copy, stop, swap, start) (goal ≥ 0.9×).
//   The safety copy is stored after that, while the workload already runs; its time is printed
//   apart, with the total.
// The volume: 4,000 files of 128 KiB from /dev/urandom (500 MiB), and 4 files of 128 MiB (two
// random, two zeros). The restore runs in this process; its peak RSS shows that the data is
// streamed, never buffered whole.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RestoreStep } from '../protocol/src';
import { Backend } from '../server/src/backend';
import { detachedContext } from '../server/src/operation';
import { cleanupTestObjects, createTestContainer, docker, TEST_LABEL, TEST_RUN, uniqueName } from '../test/fixtures/docker';
import { median } from './lib/stats';

const MiB = 1024 * 1024;
/** Exits at once on SIGTERM (a plain `sleep 1` loop would delay every stop by up to a second). */
const CMD = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1 & wait $!; done'];

function sh(command: string): void {
  execFileSync('sh', ['-c', command], { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function main(): Promise<void> {
  const sizeMiB = Number(process.env.BENCH_SIZE_MIB ?? '1024');
  const runs = Number(process.env.BENCH_RUNS ?? '3');
  const f = sizeMiB / 1024;
  const small = Math.max(1, Math.round(4000 * f));
  const largeMiB = Math.max(1, Math.round(128 * f));
  const d = docker();
  const name = uniqueName('berth-bench-restore');
  const volume = `${name}-vol`;
  const scratchVolume = `${name}-scratch`;
  const scratch = mkdtempSync(join(tmpdir(), 'berth-bench-restore-'));
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_STATE_DIR: join(scratch, 'state'), BERTH_HELPER_LABELS: `${TEST_LABEL}=${TEST_RUN}` };
  delete env.BERTH_CRASH_AT;
  try {
    for (const v of [volume, scratchVolume]) await d.createVolume({ Name: v, Labels: { [TEST_LABEL]: TEST_RUN } });
    // /scratch is a second volume on the same filesystem, where the docker cp baseline writes.
    const container = await createTestContainer({ name, binds: [`${volume}:/data`, `${scratchVolume}:/scratch`], cmd: CMD });
    process.stdout.write(`Generating ${sizeMiB} MiB: ${small} × 128 KiB random, 4 × ${largeMiB} MiB (2 random, 2 zeros)\n`);
    const generate = [
      'set -e',
      'mkdir -p /data/small /data/large',
      `i=0; while [ $i -lt ${small} ]; do [ $((i % 500)) -eq 0 ] && mkdir -p /data/small/d$((i / 500)); busybox dd if=/dev/urandom of=/data/small/d$((i / 500))/f$i bs=131072 count=1 2>/dev/null; i=$((i + 1)); done`,
      `for i in 0 1; do busybox dd if=/dev/urandom of=/data/large/random$i bs=1048576 count=${largeMiB} 2>/dev/null; busybox dd if=/dev/zero of=/data/large/zero$i bs=1048576 count=${largeMiB} 2>/dev/null; done`,
      'sync',
    ].join('\n');
    sh(`docker exec ${name} sh -c '${generate.replace(/'/g, "'\\''")}'`);
    const bytes = Number(execFileSync('docker', ['exec', name, 'busybox', 'du', '-sb', '/data']).toString().split(/\s/)[0]);

    const backend = new Backend({ settings: {}, env });
    const started = performance.now();
    const { snapshot } = await backend.snapshots.create({ workload: name, label: 'bench', quiesce: 'none' }, detachedContext());
    process.stdout.write(`Snapshot ${snapshot.id.slice(0, 12)}: ${(bytes / MiB).toFixed(0)} MiB in ${snapshot.files} files, stored ${(snapshot.storedBytes / MiB).toFixed(0)} MiB, taken in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    // The baseline's input: the same data as an uncompressed tar, read from a local file.
    const tarPath = join(scratch, 'data.tar');
    sh(`docker cp ${name}:/data - > '${tarPath}'`);
    process.stdout.write(`Baseline tar: ${(statSync(tarPath).size / MiB).toFixed(0)} MiB; ${runs} run(s) each, order rotated\n`);

    const marks = new Map<RestoreStep | string, number>();
    backend.restore.hooks = { beforeStep: (step) => void (marks.has(step) || marks.set(step, performance.now())) };
    const results: Record<'downtime' | 'live' | 'total' | 'safety' | 'cp' | 'stopStart' | 'stage' | 'verify' | 'verifyStaged', number[]> = {
      downtime: [], live: [], total: [], safety: [], cp: [], stopStart: [], stage: [], verify: [], verifyStaged: [],
    };
    const contenders: [string, () => Promise<string>][] = [
      ['restore', async () => {
        // Some change, so that the safety copy is a real new object, as in use.
        sh(`docker exec ${name} sh -c 'date > /data/marker'`);
        marks.clear();
        const t0 = performance.now();
        const r = await backend.restore.restore({ workload: name, snapshot: snapshot.id, confirm: snapshot.id }, detachedContext());
        const total = performance.now() - t0;
        const at = (step: RestoreStep) => (marks.get(step) ?? Number.NaN) - t0;
        results.downtime.push(r.downtimeMs);
        results.live.push(at('restore.safety'));
        results.total.push(total);
        results.safety.push(total - at('restore.safety'));
        results.verify.push(at('restore.helper') - at('restore.verify'));
        results.stage.push(at('restore.verify-staged') - at('restore.stage'));
        results.verifyStaged.push(at('restore.stop') - at('restore.verify-staged'));
        if (r.finalState !== 'running' || !r.safetySnapshot) throw new Error(`unexpected restore result: ${JSON.stringify(r)}`);
        await backend.snapshots.remove({ id: r.safetySnapshot });
        return `downtime ${r.downtimeMs} ms, live after ${(at('restore.safety') / 1000).toFixed(2)} s, total ${(total / 1000).toFixed(2)} s`;
      }],
      ['docker cp', async () => {
        sh(`docker exec ${name} rm -rf /scratch/data`);
        const t0 = performance.now();
        const r = spawnSync('sh', ['-c', `docker cp - ${name}:/scratch < '${tarPath}'`], { stdio: ['ignore', 'ignore', 'pipe'] });
        const ms = performance.now() - t0;
        if (r.status !== 0) throw new Error(`docker cp failed: ${r.stderr.toString()}`);
        results.cp.push(ms);
        return `${(ms / 1000).toFixed(2)} s`;
      }],
      ['stop+start', async () => {
        const t0 = performance.now();
        await container.stop();
        await container.start();
        const ms = performance.now() - t0;
        results.stopStart.push(ms);
        return `${ms.toFixed(0)} ms`;
      }],
    ];
    for (let run = 0; run < runs; run++) {
      for (let k = 0; k < contenders.length; k++) {
        const [label, measure] = contenders[(run + k) % contenders.length] as [string, () => Promise<string>];
        process.stdout.write(`  run ${run + 1} ${label.padEnd(10)} ${await measure()}\n`);
      }
    }
    sh(`docker exec ${name} rm -rf /scratch/data`);

    const m = (key: keyof typeof results) => median(results[key]);
    const mibps = (ms: number) => (bytes / MiB / (ms / 1000)).toFixed(0);
    process.stdout.write(`\nload average now: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores\n`);
    process.stdout.write('medians:\n');
    process.stdout.write(`  restore: verify the snapshot ${(m('verify') / 1000).toFixed(2)} s, stage ${(m('stage') / 1000).toFixed(2)} s, verify the staged copy ${(m('verifyStaged') / 1000).toFixed(2)} s\n`);
    process.stdout.write(`  restore: data live and the workload running after ${(m('live') / 1000).toFixed(2)} s (${mibps(m('live'))} MiB/s); safety copy stored ${(m('safety') / 1000).toFixed(2)} s later; total ${(m('total') / 1000).toFixed(2)} s\n`);
    process.stdout.write(`  docker cp - of the same tar: ${(m('cp') / 1000).toFixed(2)} s (${mibps(m('cp'))} MiB/s)\n`);
    process.stdout.write(`  restore downtime ${m('downtime').toFixed(0)} ms; plain stop + start ${m('stopStart').toFixed(0)} ms\n`);
    process.stdout.write(`\ndowntime ratio restore / (stop + start): ${(m('downtime') / m('stopStart')).toFixed(2)}×  (goal ≤ 1.5×)\n`);
    process.stdout.write(`throughput ratio restore / docker cp -: ${(m('cp') / m('live')).toFixed(2)}×  (goal ≥ 0.9×; including the safety copy: ${(m('cp') / m('total')).toFixed(2)}×)\n`);
    process.stdout.write(`peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB for ${(bytes / MiB).toFixed(0)} MiB of data\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await cleanupTestObjects(d);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
