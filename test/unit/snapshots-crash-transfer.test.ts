// Crash at every named step of import and delete: the real CLI as a child process with
// BERTH_CRASH_AT=<step> SIGKILLs itself there; the next start must leave a store where every
// object has its record and every record its object, nothing in tmp/, and a snapshot visible
// only if it was completely stored. No engine is needed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SnapshotStore } from '../../server/src/snapshots/store';
import { IMPORT_STEPS } from '../../protocol/src';
import { crashAt } from '../fixtures/crash';
import { manifestOf, portable, rawEntries, sampleVolumes, storeSnapshot } from '../fixtures/snapshotBuilder';

const BERTH = resolve(process.cwd(), 'bin', 'berth.js');
const NO_ENGINE = `unix:///nonexistent/berth-${process.pid}/docker.sock`;

function berth(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BERTH, ...args], { env: { ...process.env, DOCKER_HOST: NO_ENGINE, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

function list(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

async function assertConsistent(stateDir: string, visible: number): Promise<void> {
  const next = await berth(['snapshots', 'list', '--json'], { BERTH_STATE_DIR: stateDir });
  assert.equal(next.code, 0, next.stderr);
  assert.equal((JSON.parse(next.stdout) as { snapshots: unknown[] }).snapshots.length, visible);
  const store = new SnapshotStore(stateDir);
  assert.deepEqual(list(store.layout.tmp), [], 'no temp leftovers');
  const records = await store.catalog.list();
  assert.deepEqual(new Set(await store.objectIds()), new Set(records.map((r) => r.id)));
}

describe('import and delete crash at every named step, then the next start', () => {
  let root: string;
  let file: string;
  before(() => {
    assert.ok(existsSync(resolve(process.cwd(), 'dist', 'cli.js')), 'build the CLI first (node esbuild.mjs)');
    root = mkdtempSync(join(tmpdir(), 'berth-crash-transfer-'));
    file = join(root, 'in.tar.gz');
    writeFileSync(file, portable(manifestOf(sampleVolumes()), rawEntries(sampleVolumes())));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  for (const step of IMPORT_STEPS) {
    it(step, async () => {
      const stateDir = mkdtempSync(join(root, 'state-'));
      const crashed = await berth(['snapshots', 'import', file], { BERTH_STATE_DIR: stateDir, ...crashAt(step) });
      assert.equal(crashed.signal, 'SIGKILL', `died at ${step} (exit ${crashed.code}: ${crashed.stderr})`);
      await assertConsistent(stateDir, step === 'import.catalog' ? 1 : 0);
      const again = await berth(['snapshots', 'import', file, '--json'], { BERTH_STATE_DIR: stateDir });
      assert.equal(again.code, 0, again.stderr);
      await assertConsistent(stateDir, 1);
    });
  }

  it('delete.records', async () => {
    const stateDir = mkdtempSync(join(root, 'state-'));
    const record = await storeSnapshot(new SnapshotStore(stateDir), sampleVolumes());
    const crashed = await berth(['snapshots', 'delete', record.id], { BERTH_STATE_DIR: stateDir, ...crashAt('delete.records') });
    assert.equal(crashed.signal, 'SIGKILL', crashed.stderr);
    await assertConsistent(stateDir, 0);
    assert.deepEqual(await new SnapshotStore(stateDir).objectIds(), [], 'the unreferenced object was swept');
  });
});
