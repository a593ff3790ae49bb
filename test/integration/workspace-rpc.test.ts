import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CancellationTokenSource,
  createMessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgress,
  type MessageConnection,
} from 'vscode-languageserver-protocol/node';
import {
  ErrorCodes,
  WorkspaceExportRequest,
  WorkspaceFileContentRequest,
  WorkspaceImportRequest,
} from '../../protocol/src';
import { cleanupTestObjects, createTestContainer, uniqueName } from '../fixtures/docker';
import { ensureGitImage } from '../fixtures/gitImage';
import { execIn, makeRepo, tempDir } from '../fixtures/gitRepo';

/** The real backend process (dist/server.js) over stdio, as the extension starts it. */
describe('workspace RPC through the backend process', () => {
  const stateDir = tempDir('berth-ws-rpc-state-');
  let server: ChildProcessWithoutNullStreams;
  let rpc: MessageConnection;
  const progress = new Map<string, string[]>();

  before(async () => {
    await ensureGitImage();
    server = spawn(process.execPath, [resolve('dist/server.js'), '--stdio'], { env: { ...process.env, BERTH_STATE_DIR: stateDir } });
    rpc = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
    rpc.listen();
    await rpc.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: {} });
    await rpc.sendNotification('initialized', {});
  });
  after(async () => {
    await rpc.sendRequest('shutdown').catch(() => undefined);
    await rpc.sendNotification('exit').catch(() => undefined);
    rpc.dispose();
    server.kill();
    await cleanupTestObjects();
    rmSync(stateDir, { recursive: true, force: true });
  });

  function track(token: string): void {
    progress.set(token, []);
    rpc.onProgress(WorkDoneProgress.type, token, (value) => {
      progress.get(token)?.push(value.kind === 'end' ? 'end' : `${value.kind}:${value.message ?? ''}`);
    });
  }

  it('imports, exports with progress, and serves both sides of a file', async () => {
    const repo = join(tempDir('berth-ws-rpc-'), 'repo');
    const base = makeRepo(repo, { 'a.txt': 'one\n' });
    const name = uniqueName('berth-ws-rpc');
    const c = await createTestContainer({ name, image: await ensureGitImage() });
    track('imp');
    const imported = await rpc.sendRequest(WorkspaceImportRequest.type, { workload: name, dir: repo, workDoneToken: 'imp' });
    assert.equal(imported.base, base);
    assert.ok((progress.get('imp') ?? []).some((p) => p.startsWith('begin:')), `progress: ${JSON.stringify(progress.get('imp'))}`);
    await execIn(c, ['sh', '-c', 'echo two >> /workspace/a.txt']);

    track('exp');
    const exported = await rpc.sendRequest(WorkspaceExportRequest.type, { workload: name, workDoneToken: 'exp' });
    assert.equal(exported.baseSource, 'import');
    assert.deepEqual(exported.files.map((f) => f.path), ['a.txt']);
    assert.ok(exported.exportId);
    assert.ok((progress.get('exp') ?? []).includes('end'));
    const newSide = await rpc.sendRequest(WorkspaceFileContentRequest.type, { exportId: exported.exportId, path: 'a.txt', side: 'new' });
    assert.deepEqual(newSide, { content: 'one\ntwo\n', placeholder: false });
  });

  it('answers bad input with typed errors and keeps running', async () => {
    const name = uniqueName('berth-ws-rpc');
    await createTestContainer({ name, image: await ensureGitImage() });
    const expectCode = async (promise: Promise<unknown>, code: number) => {
      await assert.rejects(promise, (e: unknown) => e instanceof ResponseError && e.code === code);
    };
    await expectCode(rpc.sendRequest(WorkspaceExportRequest.type, { workload: name, base: '-x' }), ErrorCodes.Rejected);
    await expectCode(rpc.sendRequest(WorkspaceExportRequest.type, { workload: 42 } as never), ErrorCodes.InvalidParams);
    await expectCode(rpc.sendRequest(WorkspaceImportRequest.type, { workload: name, dir: '/tmp', from: 'main' }), ErrorCodes.InvalidParams);
    await expectCode(rpc.sendRequest(WorkspaceFileContentRequest.type, { exportId: '../../etc', path: 'x', side: 'new' }), ErrorCodes.Rejected);
    await expectCode(rpc.sendRequest(WorkspaceExportRequest.type, { workload: 'berth-no-such-workload' }), ErrorCodes.NotFound);
  });

  it('cancellation crosses the process boundary and stops the export', async () => {
    const repo = join(tempDir('berth-ws-rpc-'), 'repo');
    makeRepo(repo, { 'a.txt': 'one\n' });
    const name = uniqueName('berth-ws-rpc');
    const c = await createTestContainer({ name, image: await ensureGitImage() });
    await rpc.sendRequest(WorkspaceImportRequest.type, { workload: name, dir: repo });
    await execIn(c, ['sh', '-c', 'head -c 48000000 /dev/urandom > /workspace/big.bin']);
    const source = new CancellationTokenSource();
    const exporting = rpc.sendRequest(WorkspaceExportRequest.type, { workload: name }, source.token);
    const deadline = Date.now() + 20_000;
    while ((await execIn(c, ['sh', '-c', 'ls /tmp | grep -c berth-export || true'])).trim() === '0') {
      assert.ok(Date.now() < deadline, 'the export started');
      await new Promise((r) => setTimeout(r, 20));
    }
    source.cancel();
    await assert.rejects(exporting, (e: unknown) => e instanceof ResponseError && e.code === ErrorCodes.Cancelled);
    while ((await execIn(c, ['sh', '-c', 'ls /tmp | grep -c berth-export || true'])).trim() !== '0') {
      assert.ok(Date.now() < deadline, 'the temp folder is removed');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});
