// Benchmark: capture of a generated mixed volume against `docker cp <c>:<path> - | gzip -1`
// and `| pigz -1`, all in the same run. Prints medians, throughput ratios and our peak RSS.
//
//   node out/bench/snapshots-capture.js            # 1 GiB (BENCH_SIZE_MIB=1024), 3 runs
//   BENCH_SIZE_MIB=128 BENCH_RUNS=1 node out/bench/snapshots-capture.js
//
// The volume (scaled by BENCH_SIZE_MIB / 1024), generated inside a container with busybox:
// - 20,000 small files of 20 KiB: base64 text of random bytes (6 bits/byte, compresses to ~76%)
// - 200 files of 1 MiB: half from /dev/urandom (incompressible), half zeros
// - 4 files of 100 MiB: two from /dev/urandom, two zeros
// so about 40% compressible text, 30% incompressible, 30% zeros.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/src/cli';
import { cleanupTestObjects, createTestContainer, docker, TEST_LABEL, TEST_RUN, uniqueName } from '../test/fixtures/docker';
import { median } from './lib/stats';

const MiB = 1024 * 1024;

async function child(): Promise<void> {
  const [, , , name] = process.argv;
  const started = performance.now();
  const out: string[] = [];
  const code = await runCli(['snapshots', 'create', name ?? '', '--json'], { out: (t) => out.push(t), err: () => undefined });
  const ms = performance.now() - started;
  const doc = JSON.parse(out.join('\n')) as { snapshot?: { storedBytes: number; bytes: number } };
  process.stdout.write(`${JSON.stringify({ code, ms, maxRssKiB: process.resourceUsage().maxRSS, storedBytes: doc.snapshot?.storedBytes ?? -1 })}\n`);
}

function sh(command: string): void {
  execFileSync('sh', ['-c', command], { stdio: ['ignore', 'ignore', 'inherit'] });
}

interface Timing {
  readonly ms: number;
  /** User + system CPU seconds of the command's processes (not dockerd's, same for all). */
  readonly cpu: number;
}

/** Wall time and the CPU time of the pipeline's processes, from the shell's `times`. */
function timeShell(command: string): Timing {
  const started = performance.now();
  const r = spawnSync('sh', ['-c', `${command}\ntimes >&2`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`${command} exited ${r.status}: ${r.stderr.toString()}`);
  const lines = r.stderr.toString().trim().split('\n');
  const children = (lines[lines.length - 1] ?? '').match(/(\d+)m([\d.]+)s/g) ?? [];
  const cpu = children.map((t) => {
    const [, m, sec] = /(\d+)m([\d.]+)s/.exec(t) ?? [];
    return Number(m) * 60 + Number(sec);
  }).reduce((a, b) => a + b, 0);
  return { ms, cpu };
}

function ensurePigz(): boolean {
  if (spawnSync('sh', ['-c', 'command -v pigz']).status === 0) return true;
  process.stdout.write('pigz is missing: installing Debian\'s pigz\n');
  const r = spawnSync('sh', ['-c', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pigz >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pigz >/dev/null 2>&1)']);
  return r.status === 0 && spawnSync('sh', ['-c', 'command -v pigz']).status === 0;
}

function ours(name: string, scratch: string): Timing & { rssMiB: number; stored: number } {
  const state = mkdtempSync(join(tmpdir(), 'berth-bench-state-'));
  try {
    const report = join(scratch, 'ours.json');
    const timing = timeShell(`BERTH_STATE_DIR='${state}' '${process.execPath}' '${__filename}' --child '${name}' > '${report}'`);
    const r = JSON.parse(readFileSync(report, 'utf8')) as { code: number; maxRssKiB: number; storedBytes: number };
    if (r.code !== 0) throw new Error(`capture failed with exit code ${r.code}`);
    return { ...timing, rssMiB: r.maxRssKiB / 1024, stored: r.storedBytes };
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const sizeMiB = Number(process.env.BENCH_SIZE_MIB ?? '1024');
  const runs = Number(process.env.BENCH_RUNS ?? '3');
  const f = sizeMiB / 1024;
  const small = Math.max(1, Math.round(20000 * f));
  const medium = Math.max(2, Math.round(200 * f));
  const largeMiB = Math.max(1, Math.round(100 * f));
  const pigz = ensurePigz();
  const d = docker();
  const volume = uniqueName('berth-bench-vol');
  await d.createVolume({ Name: volume, Labels: { [TEST_LABEL]: TEST_RUN } });
  const name = uniqueName('berth-bench');
  const scratch = mkdtempSync(join(tmpdir(), 'berth-bench-out-'));
  try {
    await createTestContainer({ name, binds: [`${volume}:/data`] });
    process.stdout.write(`Generating ${sizeMiB} MiB: ${small} × 20 KiB base64 text, ${medium} × 1 MiB (half random, half zeros), 4 × ${largeMiB} MiB (2 random, 2 zeros)\n`);
    const lines = 266; // 266 lines of 77 bytes ≈ 20 KiB
    const generate = [
      'set -e',
      'mkdir -p /data/small /data/medium /data/large',
      `busybox base64 /dev/urandom | busybox head -n ${small * lines} | busybox awk -v per=${lines} '{ n = int((NR - 1) / per); if (n != cur || NR == 1) { if (f) close(f); cur = n; d = "/data/small/d" int(n / 200); if (n % 200 == 0) system("mkdir -p " d); f = d "/f" n ".txt" } print > f } END { close(f) }'`,
      `i=0; while [ $i -lt ${medium} ]; do if [ $((i % 2)) -eq 0 ]; then src=/dev/urandom; else src=/dev/zero; fi; busybox dd if=$src of=/data/medium/m$i bs=1048576 count=1 2>/dev/null; i=$((i + 1)); done`,
      `for i in 0 1; do busybox dd if=/dev/urandom of=/data/large/random$i bs=1048576 count=${largeMiB} 2>/dev/null; busybox dd if=/dev/zero of=/data/large/zero$i bs=1048576 count=${largeMiB} 2>/dev/null; done`,
      'sync',
    ].join('\n');
    sh(`docker exec ${name} sh -c '${generate.replace(/'/g, "'\\''")}'`);
    const bytes = Number(execFileSync('docker', ['exec', name, 'busybox', 'du', '-sb', '/data']).toString().split(/\s/)[0]);
    const files = Number(execFileSync('docker', ['exec', name, 'sh', '-c', 'busybox find /data -type f | busybox wc -l']).toString().trim());
    process.stdout.write(`Volume: ${(bytes / MiB).toFixed(0)} MiB in ${files} files; ${runs} run(s) each, order rotated\n`);

    const times: Record<string, number[]> = { ours: [], gzip: [], pigz: [] };
    const cpus: Record<string, number[]> = { ours: [], gzip: [], pigz: [] };
    const sizes: Record<string, number> = {};
    const rss: number[] = [];
    const contenders: [string, () => Timing][] = [
      ['ours', () => {
        const r = ours(name, scratch);
        rss.push(r.rssMiB);
        sizes.ours = r.stored;
        return r;
      }],
      ['gzip', () => {
        const t = timeShell(`docker cp ${name}:/data - | gzip -1 > ${scratch}/gzip.tar.gz`);
        sizes.gzip = statSync(`${scratch}/gzip.tar.gz`).size;
        return t;
      }],
    ];
    if (pigz) {
      contenders.push(['pigz', () => {
        const t = timeShell(`docker cp ${name}:/data - | pigz -1 > ${scratch}/pigz.tar.gz`);
        sizes.pigz = statSync(`${scratch}/pigz.tar.gz`).size;
        return t;
      }]);
    }
    for (let run = 0; run < runs; run++) {
      for (let k = 0; k < contenders.length; k++) {
        const [label, measure] = contenders[(run + k) % contenders.length] as [string, () => Timing];
        const t = measure();
        (times[label] as number[]).push(t.ms);
        (cpus[label] as number[]).push(t.cpu);
        process.stdout.write(`  run ${run + 1} ${label.padEnd(5)} ${(t.ms / 1000).toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU\n`);
      }
    }
    const mbps = (ms: number) => bytes / MiB / (ms / 1000);
    const ourMs = median(times.ours as number[]);
    const ourCpu = median(cpus.ours as number[]);
    process.stdout.write(`\nload average now: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores\n`);
    process.stdout.write('median wall time, throughput, CPU time (the command\'s processes), output size:\n');
    for (const label of Object.keys(times)) {
      const list = times[label] as number[];
      if (list.length === 0) continue;
      const ms = median(list);
      process.stdout.write(`  ${label.padEnd(5)} ${(ms / 1000).toFixed(2)} s  ${mbps(ms).toFixed(0)} MiB/s  ${median(cpus[label] as number[]).toFixed(2)} s CPU  ${((sizes[label] ?? 0) / MiB).toFixed(0)} MiB\n`);
    }
    process.stdout.write(`\nthroughput ratio ours / docker cp | gzip -1: ${(median(times.gzip as number[]) / ourMs).toFixed(2)}×  (CPU cost ratio ${(median(cpus.gzip as number[]) / ourCpu).toFixed(2)}×)\n`);
    if (pigz) process.stdout.write(`throughput ratio ours / docker cp | pigz -1: ${(median(times.pigz as number[]) / ourMs).toFixed(2)}×  (goal ≥ 1.0×; CPU cost ratio ${(median(cpus.pigz as number[]) / ourCpu).toFixed(2)}×)\n`);
    process.stdout.write(`peak RSS of our capture process: ${Math.max(...rss).toFixed(0)} MiB  (goal ≤ 200 MiB)\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await cleanupTestObjects(d);
  }
}

if (process.argv[2] === '--child') {
  child().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
