// How much Berth adds to listing containers. Creates 200 labelled containers (created, not
// started, NetworkMode none), then measures in the same run, interleaved:
//   raw      dockerode listContainers({ all: true }), the baseline;
//   backend  Backend.workloads.list in-process (what the CLI runs);
//   rpc      berth/workloads/list through the real JSON-RPC stack over in-memory streams (what
//            the extension's view calls).
// Prints the medians and the ratios against raw (goal: rpc ≤ 1.5×), then removes the containers.
// Run: `node esbuild.mjs --tests && node out/bench/workloads-list.js`.
import { ListWorkloadsRequest } from '../protocol/src';
import { Backend } from '../server/src/backend';
import { cleanupTestObjects, createTestContainer, docker, ensureBusyboxImage, TEST_LABEL, TEST_RUN, uniqueName } from '../test/fixtures/docker';
import { startRpcPair } from '../test/unit/harness/rpcPair';
import { median } from './lib/stats';

const CONTAINERS = Number(process.env.BERTH_BENCH_CONTAINERS ?? 200);
const ITERATIONS = Number(process.env.BERTH_BENCH_ITERATIONS ?? 30);
const WARMUP = 3;
const GOAL = 1.5;

async function time(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/** Creates `count` containers, a few at a time so the engine is not flooded. */
async function createContainers(count: number): Promise<void> {
  const d = docker();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await createTestContainer({ name: uniqueName('berth-bench'), start: false, cmd: ['true'] }, d);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

async function main(): Promise<void> {
  const d = docker();
  await ensureBusyboxImage(d);
  const pair = startRpcPair({}, { tap: false });
  try {
    const createStart = performance.now();
    await createContainers(CONTAINERS);
    const ours = await d.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${TEST_RUN}`] } });
    if (ours.length !== CONTAINERS) throw new Error(`expected ${CONTAINERS} bench containers, found ${ours.length}`);
    const total = (await d.listContainers({ all: true })).length;
    console.log(`created ${CONTAINERS} containers in ${Math.round(performance.now() - createStart)} ms; the engine lists ${total} in all`);

    await pair.initialize({});
    const backend = new Backend({ settings: {} });
    const runs: Record<'raw' | 'backend' | 'rpc', () => Promise<number>> = {
      raw: async () => (await d.listContainers({ all: true })).length,
      backend: async () => (await backend.workloads.list(true)).length,
      rpc: async () => (await pair.client.sendRequest(ListWorkloadsRequest.type, { all: true })).workloads.length,
    };
    // All three must see the same list, or the comparison means nothing.
    const counts = await Promise.all(Object.values(runs).map((run) => run()));
    if (new Set(counts).size !== 1) throw new Error(`the three paths list different counts: ${counts.join(', ')}`);

    const samples: Record<keyof typeof runs, number[]> = { raw: [], backend: [], rpc: [] };
    for (let i = 0; i < WARMUP + ITERATIONS; i++) {
      // Interleaved, in a rotating order, so drift in the machine's load hits all three alike.
      const order = (['raw', 'backend', 'rpc'] as const).map((_, k, all) => all[(i + k) % all.length] as keyof typeof runs);
      for (const name of order) {
        const ms = await time(runs[name]);
        if (i >= WARMUP) samples[name].push(ms);
      }
    }

    const raw = median(samples.raw);
    const line = (name: string, ms: number) => `${name.padEnd(46)} median ${ms.toFixed(2).padStart(7)} ms   ${(ms / raw).toFixed(2)}× raw`;
    console.log(`\nworkloads list, ${counts[0]} containers, ${ITERATIONS} iterations each (after ${WARMUP} warm-up):`);
    console.log(line('raw dockerode listContainers({all:true})', raw));
    console.log(line('Backend.workloads.list (in-process, CLI)', median(samples.backend)));
    console.log(line('berth/workloads/list over JSON-RPC (extension)', median(samples.rpc)));
    const ratio = median(samples.rpc) / raw;
    console.log(`\nratio rpc/raw = ${ratio.toFixed(2)} (goal ≤ ${GOAL}): ${ratio <= GOAL ? 'MET' : 'NOT MET'}`);
  } finally {
    pair.dispose();
    await cleanupTestObjects(d);
    const left = await d.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${TEST_RUN}`] } });
    console.log(`removed the bench containers (${left.length} left)`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
