// Regression tests from the audit of every deletion in server/src for "could not read it, so
// delete it" (issue 10; the list is in docs/snapshots.md, "Deletions audited"). The catalog's own
// cases are in snapshots-catalog.test.ts, the plugin journal's in plugins-script.test.ts, the
// plugin sources file's in plugins-sources-file.test.ts.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nullLog } from '../../server/src/log';
import { journalDir, setAsideCorrupt } from '../../server/src/restore/journal';
import { recoverSnapshots } from '../../server/src/snapshots/recovery';
import { SnapshotStore } from '../../server/src/snapshots/store';

const noEngine = () => {
  throw new Error('no engine needed');
};

describe('deletions audited for "could not read, so delete"', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-audit-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('a restore journal set aside never replaces one set aside before under the same name', async () => {
    const state = join(root, 'restore');
    const dir = journalDir(state);
    await mkdir(dir, { recursive: true });
    const id = '0123456789abcdef';
    await writeFile(join(dir, `${id}.corrupt`), 'first');
    await writeFile(join(dir, `${id}.json`), 'second');
    const to = await setAsideCorrupt(state, id);
    assert.equal(await readFile(join(dir, `${id}.corrupt`), 'utf8'), 'first');
    assert.equal(await readFile(to, 'utf8'), 'second');
  });

  it('the snapshot sweep leaves a temp entry whose owner it cannot read (not a name Berth makes)', async () => {
    const state = join(root, 'tmp-names');
    const store = new SnapshotStore(state);
    await store.ensure();
    await mkdir(join(store.layout.tmp, 'not-ours'), { recursive: true });
    await writeFile(join(store.layout.tmp, 'not-ours', 'data'), 'x');
    const report = await recoverSnapshots(store, noEngine, nullLog);
    assert.equal(report.tempRemoved, 0);
    assert.deepEqual(await readdir(store.layout.tmp), ['not-ours']);
  });

  it('an unreadable intent marker is quarantined and its object kept', async () => {
    const state = join(root, 'intent');
    const store = new SnapshotStore(state);
    await store.ensure();
    const id = 'a'.repeat(64);
    await mkdir(join(store.objectDir(id)), { recursive: true });
    await writeFile(join(store.objectDir(id), 'seal.json'), '{}');
    await mkdir(store.layout.intents, { recursive: true });
    await writeFile(store.intentPath(id), '{"op":');
    const report = await recoverSnapshots(store, noEngine, nullLog);
    assert.equal(report.quarantined.length, 1);
    assert.deepEqual(await store.objectIds(), [id]);
    assert.deepEqual(await readdir(store.layout.intents), []);
  });

  it('verification results are kept when the objects folder itself is missing (a damaged store is not an empty one)', async () => {
    const state = join(root, 'verify');
    const store = new SnapshotStore(state);
    await store.ensure();
    const id = 'b'.repeat(64);
    await store.writeVerifiedState(id, { state: 'ok', at: new Date().toISOString() });
    await rm(store.layout.objects, { recursive: true });
    await recoverSnapshots(store, noEngine, nullLog);
    assert.deepEqual(await readdir(store.layout.verify), [`${id}.json`]);
  });
});
