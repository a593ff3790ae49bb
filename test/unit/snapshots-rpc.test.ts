// berth/snapshots/* over the real server on in-memory streams: strict params, typed errors that
// name the failing entry, work-done progress, cancellation, and change notifications. No engine
// is needed for the catalog operations; capture against an unreachable one is a typed error.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { WorkDoneProgress, type WorkDoneProgressBegin, type WorkDoneProgressEnd, type WorkDoneProgressReport } from 'vscode-languageserver/node';
import {
  CreateSnapshotRequest,
  ErrorCodes,
  ExportSnapshotRequest,
  ImportSnapshotRequest,
  ListSnapshotsRequest,
  PinSnapshotRequest,
  SnapshotsChangedNotification,
  VerifySnapshotRequest,
} from '../../protocol/src';
import { SnapshotStore } from '../../server/src/snapshots/store';
import { manifestOf, portable, rawEntries, sampleVolumes, storeSnapshot, type SpecVolume } from '../fixtures/snapshotBuilder';
import { startRpcPair, type RpcPair } from './harness/rpcPair';

type Progress = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

describe('berth/snapshots/* over RPC', () => {
  let dir: string;
  let pair: RpcPair;
  let id: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-snap-rpc-'));
    id = (await storeSnapshot(new SnapshotStore(join(dir, 'state')), sampleVolumes(), { key: 'compose:shop/db' })).id;
    pair = startRpcPair({ env: { BERTH_STATE_DIR: join(dir, 'state'), DOCKER_HOST: `unix:///nonexistent/berth-${process.pid}/docker.sock` } });
    await pair.initialize();
  });
  after(() => {
    pair.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the catalog without an engine', async () => {
    const { snapshots } = await pair.client.sendRequest(ListSnapshotsRequest.type, { workload: 'compose:shop/db' });
    assert.deepEqual(snapshots.map((s) => s.id), [id]);
  });

  const malformed: [string, unknown, RegExp][] = [
    [CreateSnapshotRequest.method, {}, /"workload"/],
    [CreateSnapshotRequest.method, { workload: 'x', quiesce: 'freeze' }, /"quiesce"/],
    [CreateSnapshotRequest.method, { workload: 'x', keep: -1 }, /"keep"/],
    [CreateSnapshotRequest.method, { workload: 'x', label: 'l'.repeat(300) }, /"label"/],
    [VerifySnapshotRequest.method, { id: 42 }, /"id"/],
    [VerifySnapshotRequest.method, { id: 'abc', extra: true }, /"extra"/],
    [PinSnapshotRequest.method, { id: 'abcdef0123' }, /"pinned"/],
    [ExportSnapshotRequest.method, { id: 'abcdef0123' }, /"file"/],
    [ImportSnapshotRequest.method, { file: '' }, /"file"/],
    [ListSnapshotsRequest.method, { workload: 7 }, /"workload"/],
  ];
  for (const [method, params, names] of malformed) {
    it(`${method} with ${JSON.stringify(params).slice(0, 60)} is InvalidParams naming the field`, async () => {
      const answer = await pair.raw({ id: `bad-${method}-${JSON.stringify(params).length}`, method, params });
      assert.equal(answer.error?.code, ErrorCodes.InvalidParams);
      assert.match(answer.error?.message ?? '', names);
    });
  }

  it('capture against an unreachable engine is EngineUnreachable, not a crash', async () => {
    await assert.rejects(pair.client.sendRequest(CreateSnapshotRequest.type, { workload: 'web' }), (e: unknown) => e instanceof ResponseError && e.code === ErrorCodes.EngineUnreachable);
  });

  it('verify reports work-done progress, answers the result, and announces the change', async () => {
    const token = 'verify-1';
    const seen: Progress[] = [];
    const sub = pair.client.onProgress(WorkDoneProgress.type, token, (v: Progress) => seen.push(v));
    try {
      const result = await pair.client.sendRequest(VerifySnapshotRequest.type, { id: id.slice(0, 12), workDoneToken: token } as never);
      assert.equal(result.ok, true);
    } finally {
      sub.dispose();
    }
    assert.equal(seen[0]?.kind, 'begin');
    await pair.waitForNotification(SnapshotsChangedNotification.method, (p) => (p as { reason?: string }).reason === 'verify');
  });

  it('a hostile import is Rejected with the entry in the error data, and stores nothing', async () => {
    const file = join(dir, 'hostile.tar.gz');
    writeFileSync(file, portable(manifestOf(sampleVolumes()), [...rawEntries(sampleVolumes()), { name: '0/../../etc/passwd', body: 'x' }]));
    await assert.rejects(pair.client.sendRequest(ImportSnapshotRequest.type, { file }), (e: unknown) => {
      const data = (e as ResponseError<{ name: string; path?: string }>).data;
      return e instanceof ResponseError && e.code === ErrorCodes.Rejected && data?.name === 'Rejected' && data.path === '0/../../etc/passwd';
    });
    assert.deepEqual(readdirSync(join(dir, 'state', 'snapshots', 'objects')), [id]);
  });

  it('cancel stops an import: Cancelled, and no temp or object is left', async () => {
    const big: SpecVolume[] = [{ target: '/data', entries: [{ path: '.', type: 'dir' }, { path: 'random.bin', type: 'file', content: randomBytes(48 * 1024 * 1024) }] }];
    const file = join(dir, 'big.tar.gz');
    writeFileSync(file, portable(manifestOf(big), rawEntries(big), { level: 1 }));
    const source = new CancellationTokenSource();
    const token = 'import-cancel';
    const sub = pair.client.onProgress(WorkDoneProgress.type, token, (v: Progress) => {
      if (v.kind === 'begin') source.cancel();
    });
    try {
      await assert.rejects(pair.client.sendRequest(ImportSnapshotRequest.type, { file, workDoneToken: token } as never, source.token), (e: unknown) => e instanceof ResponseError && e.code === ErrorCodes.Cancelled);
    } finally {
      sub.dispose();
      source.dispose();
    }
    assert.deepEqual(readdirSync(join(dir, 'state', 'snapshots', 'objects')), [id]);
    assert.deepEqual(readdirSync(join(dir, 'state', 'snapshots', 'tmp')), []);
  });

  it('pin and export round-trip through the protocol', async () => {
    const pinned = await pair.client.sendRequest(PinSnapshotRequest.type, { id, pinned: true });
    assert.equal(pinned.snapshots[0]?.pinned, true);
    const file = join(dir, 'out.tar.gz');
    const exported = await pair.client.sendRequest(ExportSnapshotRequest.type, { id, file });
    assert.equal(exported.file, file);
    const imported = await pair.client.sendRequest(ImportSnapshotRequest.type, { file });
    assert.equal(imported.existing, true);
  });
});
