// The live event stream against the real engine: the real server over in-memory streams tells
// the client when a labelled container changes, and reconnecting through a unix-socket proxy
// that keeps cutting the connection leaks no file descriptors.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createConnection as connectSocket, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  EngineStatusNotification,
  ListWorkloadsRequest,
  WatchWorkloadsNotification,
  WorkloadsChangedNotification,
  type EngineStatus,
  type WorkloadsChangedParams,
} from '../../protocol/src';
import { Backend } from '../../server/src/backend';
import { EventWatcher } from '../../server/src/workloads/eventWatcher';
import { cleanupTestObjects, createTestContainer, ensureBusyboxImage, uniqueName } from '../fixtures/docker';
import { startRpcPair, type RpcPair } from '../unit/harness/rpcPair';

/** Polls a condition until it holds or the deadline passes (no fixed sleeps). */
async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function engineSocketPath(): string {
  const host = process.env.DOCKER_HOST;
  if (!host) return '/var/run/docker.sock';
  const url = new URL(host);
  if (url.protocol !== 'unix:') throw new Error(`These tests proxy a unix socket; DOCKER_HOST is ${host}`);
  return decodeURIComponent(url.pathname);
}

describe('engine events through the real server', () => {
  let pair: RpcPair;
  before(async () => {
    await ensureBusyboxImage();
    await cleanupTestObjects();
    pair = startRpcPair();
    await pair.initialize({});
  });
  after(async () => {
    pair.dispose();
    await cleanupTestObjects();
  });

  it('sends didChange for a labelled container being created, started and stopped', async () => {
    await pair.waitForNotification(EngineStatusNotification.method, (p) => (p as EngineStatus).reachable);
    await pair.client.sendNotification(WatchWorkloadsNotification.type, { visible: true });
    await pair.waitForNotification('window/logMessage', (p) => /Following engine events/.test((p as { message: string }).message));

    const eventAfter = async (mark: number) => {
      await pair.waitForNotification(WorkloadsChangedNotification.method, () =>
        pair.notifications.slice(mark).some((n) => n.method === WorkloadsChangedNotification.method && (n.params as WorkloadsChangedParams).reason === 'event'),
      );
    };
    const state = async (name: string) => {
      const { workloads } = await pair.client.sendRequest(ListWorkloadsRequest.type, { all: true });
      return workloads.find((w) => w.name === name)?.state;
    };

    const name = uniqueName('berth-ev');
    let mark = pair.notifications.length;
    const container = await createTestContainer({ name });
    await eventAfter(mark);
    assert.equal(await state(name), 'running');

    mark = pair.notifications.length;
    await container.stop({ t: 1 });
    await eventAfter(mark);
    assert.equal(await state(name), 'exited');

    // Hidden: the stream is closed and nothing more is followed.
    await pair.client.sendNotification(WatchWorkloadsNotification.type, { visible: false });
  });
});

/** A unix-socket proxy in front of the engine that can cut every connection on demand. */
async function startProxy(target: string): Promise<{ url: string; cutAll(): void; open(): number; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-proxy-'));
  const path = join(dir, 'engine.sock');
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    const upstream = connectSocket(target);
    const link: [Socket, Socket] = [client, upstream];
    pairs.add(link);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(link);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    url: `unix://${path}`,
    cutAll: () => {
      for (const [client, upstream] of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
    },
    open: () => pairs.size,
    close: async () => {
      for (const [client, upstream] of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const fdCount = () => readdirSync('/proc/self/fd').length;

describe('event stream reconnects', () => {
  before(async () => {
    await ensureBusyboxImage();
  });
  after(() => cleanupTestObjects());

  it('leaks no file descriptors over 20 forced reconnects (cut and restarted) and still delivers events', async () => {
    const proxy = await startProxy(engineSocketPath());
    const backend = new Backend({ settings: { dockerHost: proxy.url }, env: {} });
    const streams: Readable[] = [];
    const received: string[] = [];
    const changes: WorkloadsChangedParams['reason'][] = [];
    let drained = false;
    const watcher = new EventWatcher({
      subscribe: async (signal) => {
        const stream = await backend.engine().containerEvents(signal);
        streams.push(stream);
        const index = streams.length - 1;
        stream.on('data', (chunk: Buffer) => {
          received[index] = (received[index] ?? '') + chunk.toString('utf8');
        });
        return stream;
      },
      fingerprint: async () => 'unused',
      onChange: (reason) => changes.push(reason),
      debounceMs: 20,
      pollMs: 3_600_000,
      initialBackoffMs: 10,
      maxBackoffMs: 50,
    });
    try {
      watcher.setVisible(true);
      await until('the first stream is connected', () => watcher.isConnected && watcher.connects === 1);
      await until('the proxy carries exactly the event stream', () => proxy.open() === 1);
      const baseline = fdCount();

      const reconnects = 20;
      for (let i = 1; i <= reconnects; i++) {
        // Half of the reconnects are the engine side hanging up, half are Berth dropping the
        // stream itself (an endpoint change): both must close the old connection.
        if (i % 2 === 1) proxy.cutAll();
        else watcher.restart();
        await until(`reconnect ${i}`, () => watcher.isConnected && watcher.connects === i + 1);
        assert.ok(streams.slice(0, -1).every((s) => s.destroyed), `every earlier stream is destroyed after reconnect ${i}`);
      }
      await until('the proxy carries one connection again', () => proxy.open() === 1);
      // Closed sockets release their descriptors as their close callbacks run; allow a moment.
      await until(`the fd count returns to its baseline of ${baseline} (now ${fdCount()})`, () => fdCount() <= baseline + 2, 10_000);

      // Events still arrive after the last reconnect: our container's, on the newest stream.
      const mark = changes.length;
      const container = await createTestContainer({ name: uniqueName('berth-fd') });
      const last = streams.length - 1;
      await until('the container event arrives on the newest stream', () => (received[last] ?? '').includes(container.id));
      await until('a change notification follows', () => changes.slice(mark).includes('event'));
    } finally {
      watcher.dispose();
      // Reported only when nothing failed earlier, so that it never masks the first failure.
      drained = await until('the proxy has no connections after dispose', () => proxy.open() === 0, 5_000).then(() => true, () => false);
      await proxy.close();
    }
    assert.ok(drained, 'disposing the watcher closes its connection to the engine');
  });
});
