// The event stream follower with real Node streams (PassThrough) and mocked timers, so that
// debounce, backoff and polling are checked tick by tick instead of by sleeping.
import assert from 'node:assert/strict';
import { PassThrough, type Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { WorkloadsChangedParams } from '../../protocol/src';
import { EventWatcher, type EventWatcherOptions } from '../../server/src/workloads/eventWatcher';

type Reason = WorkloadsChangedParams['reason'];

/** Lets promise chains and stream callbacks run; setImmediate is not mocked. */
async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

async function tick(ms: number): Promise<void> {
  mock.timers.tick(ms);
  await settle();
}

interface Harness {
  readonly watcher: EventWatcher;
  readonly streams: PassThrough[];
  readonly signals: AbortSignal[];
  readonly changes: Reason[];
  readonly connections: boolean[];
  /** What the next subscribe does: hand out a stream (default), fail, or hang. */
  next: 'stream' | 'fail' | 'hang';
  fingerprint: string;
  fingerprints: number;
  readonly open: () => PassThrough[];
}

function harness(options: Partial<EventWatcherOptions> = {}): Harness {
  const h: Harness = {
    streams: [],
    signals: [],
    changes: [],
    connections: [],
    next: 'stream',
    fingerprint: 'a',
    fingerprints: 0,
    open: () => h.streams.filter((s) => !s.destroyed),
    watcher: undefined as unknown as EventWatcher,
  };
  (h as { watcher: EventWatcher }).watcher = new EventWatcher({
    subscribe: async (signal) => {
      h.signals.push(signal);
      if (h.next === 'fail') throw Object.assign(new Error('connect ENOENT /nowhere.sock'), { code: 'ENOENT' });
      if (h.next === 'hang') return new Promise<Readable>(() => undefined);
      const stream = new PassThrough();
      h.streams.push(stream);
      return stream;
    },
    fingerprint: async () => {
      h.fingerprints++;
      return h.fingerprint;
    },
    onChange: (reason) => h.changes.push(reason),
    onConnection: (connected) => h.connections.push(connected),
    debounceMs: 50,
    pollMs: 10_000,
    initialBackoffMs: 100,
    maxBackoffMs: 800,
    subscribeTimeoutMs: 1_000,
    ...options,
  });
  return h;
}

const event = (n: number) => `${JSON.stringify({ Type: 'container', Action: 'start', id: `c${n}` })}\n`;

describe('EventWatcher', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval'] }));
  afterEach(() => mock.timers.reset());

  it('subscribes to nothing and polls nothing while not visible', async () => {
    const h = harness();
    await tick(60_000);
    assert.equal(h.signals.length, 0);
    assert.equal(h.fingerprints, 0);

    h.watcher.setVisible(true);
    await settle();
    assert.equal(h.signals.length, 1);
    assert.equal(h.open().length, 1);

    // Hidden while a reconnect is pending: the pending attempt must not happen.
    h.streams[0]?.end();
    await settle();
    h.watcher.setVisible(false);
    assert.equal(h.open().length, 0);
    assert.ok(h.signals.every((s) => s.aborted));
    const polls = h.fingerprints;
    await tick(120_000);
    assert.equal(h.signals.length, 1, 'no subscribe while hidden');
    assert.equal(h.fingerprints, polls, 'no poll while hidden');
    h.watcher.dispose();
  });

  it('debounces a burst of 100 events into one change notification', async () => {
    const h = harness();
    h.watcher.setVisible(true);
    await settle();
    assert.deepEqual(h.changes, ['reconnect']);
    const stream = h.streams[0];
    assert.ok(stream);
    for (let i = 0; i < 100; i++) stream.write(event(i));
    await settle();
    await tick(49);
    assert.deepEqual(h.changes, ['reconnect'], 'nothing before the debounce delay');
    await tick(1);
    assert.deepEqual(h.changes, ['reconnect', 'event']);
    await tick(5_000);
    assert.deepEqual(h.changes, ['reconnect', 'event'], 'one notification for the whole burst');

    // A later event is a new change.
    stream.write(event(101));
    await settle();
    await tick(50);
    assert.deepEqual(h.changes, ['reconnect', 'event', 'event']);
    h.watcher.dispose();
  });

  it('reconnects with exponential backoff after failures, capped, and resets after a success', async () => {
    const h = harness();
    h.next = 'fail';
    h.watcher.setVisible(true);
    await settle();
    assert.equal(h.signals.length, 1);
    // Delays 100, 200, 400, 800, 800 (the cap).
    for (const delay of [100, 200, 400, 800, 800]) {
      const attempts: number = h.signals.length;
      await tick(delay - 1);
      assert.equal(h.signals.length, attempts, `no attempt before ${delay} ms`);
      await tick(1);
      assert.equal(h.signals.length, attempts + 1, `an attempt after ${delay} ms`);
    }
    assert.ok(h.connections.every((c) => c === false));

    h.next = 'stream';
    await tick(800);
    assert.equal(h.open().length, 1);
    assert.equal(h.connections.at(-1), true);
    // Events may have been missed while disconnected: the client re-lists.
    assert.equal(h.changes.at(-1), 'reconnect');

    // After a success the next loss waits the initial delay again.
    h.streams.at(-1)?.end();
    await settle();
    const attemptsAfterSuccess: number = h.signals.length;
    await tick(99);
    assert.equal(h.signals.length, attemptsAfterSuccess);
    await tick(1);
    assert.equal(h.signals.length, attemptsAfterSuccess + 1);
    h.watcher.dispose();
  });

  it('reconnects after end and after error, destroying the old stream every time', async () => {
    const h = harness();
    h.watcher.setVisible(true);
    await settle();
    for (let i = 0; i < 30; i++) {
      const current = h.streams.at(-1);
      assert.ok(current);
      if (i % 3 === 0) current.end();
      else if (i % 3 === 1) current.destroy(new Error('socket hang up'));
      else h.watcher.restart();
      await settle();
      assert.ok(h.open().length <= 1, `at most one live stream (round ${i})`);
      assert.ok(current.destroyed, `the old stream is destroyed (round ${i})`);
      await tick(100);
      assert.equal(h.open().length, 1, `reconnected (round ${i})`);
      // Every request but the current one has been aborted.
      assert.equal(h.signals.filter((s) => !s.aborted).length, 1);
      // A late error on a dropped stream must not reach the process as an unhandled 'error'.
      current.emit('error', new Error('late error'));
    }
    assert.equal(h.streams.length, 31);
    assert.equal(h.watcher.connects, 31);
    h.watcher.dispose();
    assert.equal(h.open().length, 0);
    assert.ok(h.signals.every((s) => s.aborted));
  });

  it('gives up on a subscription that hangs, retries, and destroys a stream that arrives too late', async () => {
    let release: ((s: Readable) => void) | undefined;
    const late = new PassThrough();
    let calls = 0;
    const watcher = new EventWatcher({
      subscribe: (signal) => {
        calls++;
        if (calls === 1) return new Promise<Readable>((resolve) => (release = resolve));
        void signal;
        return Promise.resolve(new PassThrough());
      },
      fingerprint: async () => 'x',
      onChange: () => undefined,
      initialBackoffMs: 100,
      subscribeTimeoutMs: 1_000,
    });
    watcher.setVisible(true);
    await settle();
    await tick(999);
    assert.equal(calls, 1);
    await tick(1);
    await tick(100);
    assert.equal(calls, 2, 'retried after the timeout and the backoff');
    assert.ok(watcher.isConnected);
    release?.(late);
    await settle();
    assert.ok(late.destroyed, 'the late stream has no owner and is destroyed');
    watcher.dispose();
  });

  it('drops a stream that arrives after the view was hidden', async () => {
    let release: ((s: Readable) => void) | undefined;
    const stream = new PassThrough();
    const watcher = new EventWatcher({
      subscribe: () => new Promise<Readable>((resolve) => (release = resolve)),
      fingerprint: async () => 'x',
      onChange: () => undefined,
    });
    watcher.setVisible(true);
    await settle();
    watcher.setVisible(false);
    release?.(stream);
    await settle();
    assert.ok(stream.destroyed);
    assert.equal(watcher.isConnected, false);
    watcher.dispose();
  });

  it('polls behind the stream and notices a changed fingerprint', async () => {
    const h = harness();
    h.watcher.setVisible(true);
    await settle();
    assert.equal(h.fingerprints, 1, 'a baseline when shown');
    await tick(10_000);
    assert.equal(h.fingerprints, 2);
    assert.ok(!h.changes.includes('poll'), 'same fingerprint, no change');
    h.fingerprint = 'b';
    await tick(10_000);
    assert.equal(h.changes.filter((c) => c === 'poll').length, 1);
    await tick(10_000);
    assert.equal(h.changes.filter((c) => c === 'poll').length, 1, 'reported once per change');
    h.watcher.dispose();
  });
});
