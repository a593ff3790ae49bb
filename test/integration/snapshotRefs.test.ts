// One resolver for snapshot references (server/src/snapshots/resolve.ts): a reference names the
// same snapshot for every command that takes one. Restore once preferred the target workload's
// own records for any reference, so a content-ID prefix that matched two snapshots was refused by
// verify and export but silently meant one of them to a restore. The workload here is a real
// container (a restore resolves its target through the engine); the catalog records are written
// directly, with content IDs that share their first 8 hex digits.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorCodes, ExitCodes } from '../../protocol/src';
import { Backend } from '../../server/src/backend';
import { detachedContext } from '../../server/src/operation';
import { CATALOG_SCHEMA_VERSION, type CatalogRecord } from '../../server/src/snapshots/catalog';
import { newRecordId } from '../../server/src/snapshots/recordIds';
import { cleanupTestObjects, createTestContainer, uniqueName } from '../fixtures/docker';
import { runCli } from '../fixtures/restoreWorld';

const PREFIX = 'abcdef01';
const OWN = `${PREFIX}${'1'.repeat(56)}`;
const OTHER = `${PREFIX}${'2'.repeat(56)}`;

function record(id: string, key: string, label: string): CatalogRecord {
  const capturedAt = new Date().toISOString();
  return {
    schemaVersion: CATALOG_SCHEMA_VERSION,
    recordId: newRecordId(capturedAt),
    id,
    workload: { kind: 'container', key, label: key.replace(/^container:/, '') },
    capturedAt,
    label,
    pinned: false,
    quiesce: 'pause',
    origin: 'capture',
    volumes: [],
    files: 0,
    bytes: 0,
    storedBytes: 0,
    skipped: 0,
  };
}

/** The error code a call fails with (0 when it succeeds). */
async function codeOf(run: Promise<unknown>): Promise<number> {
  try {
    await run;
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

describe('snapshot references: one resolver for every command', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'berth-snaprefs-'));
  const env = { ...process.env, BERTH_STATE_DIR: stateDir };
  const name = uniqueName('berth-snaprefs');
  let backend: Backend;

  before(async () => {
    await cleanupTestObjects();
    await createTestContainer({ name });
    backend = new Backend({ settings: {}, env });
    const store = backend.snapshots.store();
    await store.ensure();
    await store.catalog.write(record(OWN, `container:${name}`, 'nightly'));
    await store.catalog.write(record(OTHER, 'container:elsewhere', 'nightly'));
  });
  after(async () => {
    await cleanupTestObjects();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('a content-ID prefix of two snapshots is refused by restore as by verify and export, whichever workload it is for', async () => {
    const ambiguous = /"abcdef01" matches 2 different snapshots/;
    await assert.rejects(backend.restore.snapshotId(PREFIX, name), ambiguous, 'the CLI restore\'s confirmation');
    await assert.rejects(backend.restore.preview({ workload: name, snapshot: PREFIX }, AbortSignal.timeout(60_000)), ambiguous, 'the preview');
    await assert.rejects(backend.restore.restore({ workload: name, snapshot: PREFIX, confirm: OWN }, detachedContext()), ambiguous, 'the restore request');
    await assert.rejects(backend.snapshots.verify({ id: PREFIX }, detachedContext()), ambiguous, 'verify');
    await assert.rejects(backend.snapshots.export({ id: PREFIX }, join(stateDir, 'out.tar.gz'), detachedContext()), ambiguous, 'export');

    const restore = await runCli(['snapshots', 'restore', name, PREFIX, '--yes', '--json'], env);
    const verify = await runCli(['snapshots', 'verify', PREFIX, '--json'], env);
    for (const run of [restore, verify]) {
      assert.equal(run.code, ExitCodes.Usage, run.stdout + run.stderr);
      const error = (JSON.parse(run.stdout) as { error: { code: number; message: string } }).error;
      assert.equal(error.code, ErrorCodes.InvalidParams);
      assert.match(error.message, ambiguous);
      for (const id of [OWN, OTHER]) assert.ok(error.message.includes(id.slice(0, 12)), `the refusal lists ${id.slice(0, 12)}`);
    }
  });

  it('a longer prefix names one snapshot everywhere', async () => {
    assert.equal(await backend.restore.snapshotId(`${PREFIX}2`, name), OTHER, 'another workload\'s snapshot may be restored');
    assert.equal(await backend.restore.snapshotId(`${PREFIX}1`, name), OWN);
  });

  it('a label two workloads use names the target\'s own for a restore, and needs --workload elsewhere', async () => {
    assert.equal(await backend.restore.snapshotId('nightly', name), OWN);
    assert.equal(await codeOf(backend.snapshots.verify({ id: 'nightly' }, detachedContext())), ErrorCodes.InvalidParams);
    assert.equal(await codeOf(backend.snapshots.remove({ id: 'nightly' })), ErrorCodes.InvalidParams);
    const removed = await backend.snapshots.remove({ id: 'nightly', workload: name });
    assert.deepEqual(removed.deleted.map((d) => d.id), [OWN]);
  });
});
