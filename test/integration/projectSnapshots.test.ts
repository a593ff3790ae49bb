// Project snapshots against the real engine (docs/snapshots.md, "Project snapshots"): a
// two-service compose project ("db" and "web", each with its own volume, each also mounting the
// other's) where a writer in each service bumps its counter in both volumes all the time. Every
// captured set agrees: each volume, read through both services, holds the same counters — which
// two separate captures do not (the control). Also: quiesce and release order from depends_on,
// hooks across services, deduplication, a busy member, and a crash at every project step.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_CAPTURE_STEPS, type SnapshotInfo, type Step } from '../../protocol/src';
import { Backend } from '../../server/src/backend';
import { BerthError } from '../../server/src/errors';
import { acquireLock } from '../../server/src/locks';
import { detachedContext } from '../../server/src/operation';
import { SnapshotStore } from '../../server/src/snapshots/store';
import { crashAt } from '../fixtures/crash';
import { cleanupTestObjects, createTestContainer, docker, TEST_LABEL, TEST_RUN, uniqueName } from '../fixtures/docker';

const BERTH = resolve(__dirname, '../../../bin/berth.js');

function berth(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((r) => {
    const child = spawn(process.execPath, [BERTH, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code, signal) => r({ code, signal, stdout, stderr }));
  });
}

async function state(name: string): Promise<{ running: boolean; paused: boolean }> {
  const info = await docker().getContainer(name).inspect();
  return { running: info.State.Running, paused: info.State.Paused };
}

interface Project {
  readonly name: string;
  readonly db: string;
  readonly web: string;
}

/**
 * "db" and "web": each mounts its own volume at /own and the other's at /peer; web depends on
 * db. With `writers`, each bumps its counter and writes it to /own/<service>, then /peer/<service>.
 */
async function makeProject(options: { readonly writers: boolean; readonly labels?: (service: 'db' | 'web') => Record<string, string> }): Promise<Project> {
  const project = uniqueName('berthp');
  const dbVolume = `${project}_dbdata`;
  const webVolume = `${project}_webdata`;
  for (const v of [dbVolume, webVolume]) await docker().createVolume({ Name: v, Labels: { [TEST_LABEL]: TEST_RUN } });
  const writer = (service: string) =>
    options.writers
      ? `n=0; trap "exit 0" TERM; while :; do n=$((n+1)); echo $n > /own/${service}; echo $n > /peer/${service}; sleep 0.01; done`
      : `echo 0 > /own/${service}; echo 0 > /peer/${service}; trap "exit 0" TERM; while true; do sleep 1; done`;
  const compose = (service: string, extra: Record<string, string> = {}) => ({
    'com.docker.compose.project': project,
    'com.docker.compose.service': service,
    'com.docker.compose.container-number': '1',
    ...extra,
  });
  const db = `${project}-db-1`;
  const web = `${project}-web-1`;
  await createTestContainer({ name: db, binds: [`${dbVolume}:/own`, `${webVolume}:/peer`], labels: { ...compose('db'), ...(options.labels?.('db') ?? {}) }, cmd: ['sh', '-c', writer('db')] });
  await createTestContainer({
    name: web,
    binds: [`${webVolume}:/own`, `${dbVolume}:/peer`],
    labels: { ...compose('web', { 'com.docker.compose.depends_on': 'db:service_started:false' }), ...(options.labels?.('web') ?? {}) },
    cmd: ['sh', '-c', writer('web')],
  });
  // Both writers have written both files at least once.
  for (let i = 0; i < 200; i++) {
    const seen = execFileSync('docker', ['exec', db, 'sh', '-c', 'cat /own/db /own/web /peer/db /peer/web 2>/dev/null | wc -l'], { encoding: 'utf8' }).trim();
    if (seen === '4') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name: project, db, web };
}

/** The counters each volume holds in a member's snapshot, by the volume's mount target. */
function countersOf(store: SnapshotStore, member: SnapshotInfo): Record<'/own' | '/peer', { db: string; web: string }> {
  const data = join(store.layout.objects, member.id, 'data.tar.gz');
  const read = (index: number, file: string) => execFileSync('tar', ['-xzOf', data, `${index}/${file}`], { encoding: 'utf8' }).trim();
  const out = {} as Record<'/own' | '/peer', { db: string; web: string }>;
  for (const v of member.volumes) out[v.target as '/own' | '/peer'] = { db: read(v.index, 'db'), web: read(v.index, 'web') };
  return out;
}

/** Each volume as the db member saw it and as the web member saw it. */
function volumesSeenTwice(store: SnapshotStore, db: SnapshotInfo, web: SnapshotInfo) {
  const d = countersOf(store, db);
  const w = countersOf(store, web);
  return { dbdata: { viaDb: d['/own'], viaWeb: w['/peer'] }, webdata: { viaDb: d['/peer'], viaWeb: w['/own'] } };
}

describe('project snapshots against the real engine', () => {
  let root: string;
  let stateDir: string;
  let backend: Backend;

  before(async () => {
    assert.ok(existsSync(resolve(__dirname, '../../../dist/cli.js')), 'build the CLI first (node esbuild.mjs)');
    await cleanupTestObjects();
    root = mkdtempSync(join(tmpdir(), 'berth-project-'));
    stateDir = join(root, 'state');
    backend = new Backend({ settings: {}, env: { ...process.env, BERTH_STATE_DIR: stateDir } });
  });
  after(async () => {
    await cleanupTestObjects();
    rmSync(root, { recursive: true, force: true });
  });

  describe('with a writer in each service', () => {
    let p: Project;
    before(async () => {
      p = await makeProject({ writers: true });
    });

    it('every captured set agrees: each volume read through both services holds the same counters', async () => {
      const store = backend.snapshots.store();
      let previous = 0;
      for (let round = 0; round < 3; round++) {
        const result = await backend.snapshots.createProject({ project: p.name }, detachedContext());
        assert.equal(result.set.members, 2);
        assert.deepEqual(result.snapshots.map((s) => s.set?.service), ['db', 'web'], 'members in dependency order');
        for (const s of result.snapshots) {
          assert.equal(s.set?.id, result.set.id);
          assert.equal(s.set?.members, 2);
          assert.equal(s.quiesce, 'pause');
        }
        const [db, web] = result.snapshots as [SnapshotInfo, SnapshotInfo];
        const seen = volumesSeenTwice(store, db, web);
        assert.deepEqual(seen.dbdata.viaDb, seen.dbdata.viaWeb, `set ${round}: dbdata read through db and through web`);
        assert.deepEqual(seen.webdata.viaDb, seen.webdata.viaWeb, `set ${round}: webdata read through db and through web`);
        // The writers ran between sets: each set is a new moment, not a stale one.
        const counter = Number(seen.dbdata.viaDb.db);
        assert.ok(counter > previous, `the db counter advanced (${previous} → ${counter})`);
        previous = counter;
        assert.deepEqual(await state(p.db), { running: true, paused: false });
        assert.deepEqual(await state(p.web), { running: true, paused: false });
      }
    });

    it('the control: two separate captures disagree (so the check above can fail)', async () => {
      const store = backend.snapshots.store();
      const db = (await backend.snapshots.create({ workload: p.db }, detachedContext())).snapshot;
      const web = (await backend.snapshots.create({ workload: p.web }, detachedContext())).snapshot;
      const seen = volumesSeenTwice(store, db, web);
      assert.notDeepEqual([seen.dbdata.viaDb, seen.webdata.viaDb], [seen.dbdata.viaWeb, seen.webdata.viaWeb], 'captured at two moments, the volumes differ');
    });

    it('quiesces dependents first and releases dependencies first (depends_on)', async () => {
      // The engine takes fractional seconds: only this capture's events.
      const since = (Date.now() / 1000).toFixed(3);
      await backend.snapshots.createProject({ project: p.name }, detachedContext());
      const events = execFileSync(
        'docker',
        ['events', '--since', since, '--until', (Date.now() / 1000 + 1).toFixed(3), '--filter', `label=com.docker.compose.project=${p.name}`, '--filter', 'event=pause', '--filter', 'event=unpause', '--format', '{{.Action}} {{.Actor.Attributes.name}}'],
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n');
      assert.deepEqual(events, [`pause ${p.web}`, `pause ${p.db}`, `unpause ${p.db}`, `unpause ${p.web}`]);
    });

    it('a member another operation holds makes the set Busy, and no service is touched', async () => {
      const lock = await acquireLock(stateDir, 'workload', `compose:${p.name}/web`, 'restore');
      try {
        const before = (await backend.snapshots.list(undefined)).length;
        await assert.rejects(backend.snapshots.createProject({ project: p.name }, detachedContext()), (e: unknown) => e instanceof BerthError && e.codeName === 'Busy' && /a restore/.test(e.message));
        assert.equal((await backend.snapshots.list(undefined)).length, before);
        assert.deepEqual(await state(p.db), { running: true, paused: false });
      } finally {
        await lock.release();
      }
      // And the lock of db was released: a capture of db alone works.
      await backend.snapshots.create({ workload: p.db }, detachedContext());
    });

    it('the CLI: snapshots create --project, and the set in snapshots list --json', async () => {
      const made = await berth(['snapshots', 'create', '--project', p.name, '--json'], { BERTH_STATE_DIR: stateDir });
      assert.equal(made.code, 0, made.stderr);
      const result = JSON.parse(made.stdout) as { set: { id: string } };
      assert.match(result.set.id, /^set-\d{8}-\d{6}-[0-9a-f]{6}$/);
      const listed = JSON.parse((await berth(['snapshots', 'list', '--json'], { BERTH_STATE_DIR: stateDir })).stdout) as { snapshots: SnapshotInfo[] };
      assert.deepEqual(listed.snapshots.filter((s) => s.set?.id === result.set.id).map((s) => s.workload.key).sort(), [`compose:${p.name}/db`, `compose:${p.name}/web`]);
      const both = await berth(['snapshots', 'create', p.db, '--project', p.name], { BERTH_STATE_DIR: stateDir });
      assert.equal(both.code, 2, 'a workload and --project together are a usage error');
      const none = await berth(['snapshots', 'create', '--project', 'no-such-project-here'], { BERTH_STATE_DIR: stateDir });
      assert.equal(none.code, 4, none.stderr);
    });
  });

  describe('without writers', () => {
    it('hooks run in every service: pre-hooks dependents first, post-hooks dependencies first', async () => {
      const p = await makeProject({
        writers: false,
        labels: (service) => ({
          // Both append to the file in dbdata (db at /own, web at /peer), so the order shows.
          'berth.hooks.pre-snapshot': `echo pre-${service} >> ${service === 'db' ? '/own' : '/peer'}/hooks`,
          'berth.hooks.post-snapshot': `echo post-${service} >> ${service === 'db' ? '/own' : '/peer'}/hooks`,
        }),
      });
      const result = await backend.snapshots.createProject({ project: p.name }, detachedContext());
      assert.equal(execFileSync('docker', ['exec', p.db, 'cat', '/own/hooks'], { encoding: 'utf8' }), 'pre-web\npre-db\npost-db\npost-web\n');
      assert.deepEqual(result.hooks?.map((h) => `${h.event} ${h.workload.split('/')[1]}`), ['pre-snapshot web', 'pre-snapshot db', 'post-snapshot db', 'post-snapshot web']);
    });

    it('unchanged services deduplicate: a second set stores no second copy', async () => {
      const p = await makeProject({ writers: false });
      const first = await backend.snapshots.createProject({ project: p.name }, detachedContext());
      const objects = (await backend.snapshots.store().objectIds()).length;
      const second = await backend.snapshots.createProject({ project: p.name }, detachedContext());
      assert.notEqual(second.set.id, first.set.id);
      assert.deepEqual(second.snapshots.map((s) => s.id), first.snapshots.map((s) => s.id), 'the same content: the same objects');
      assert.notDeepEqual(second.snapshots.map((s) => s.recordId), first.snapshots.map((s) => s.recordId), 'each set has its own records');
      assert.equal((await backend.snapshots.store().objectIds()).length, objects, 'no second copy stored');
    });
  });

  describe('a crash at every project step, then the next start', () => {
    let p: Project;
    before(async () => {
      p = await makeProject({ writers: false });
    });

    const cases: { step: Step; skip?: number }[] = [...PROJECT_CAPTURE_STEPS.map((step) => ({ step })), { step: 'capture.commit', skip: 1 }];
    for (const { step, skip } of cases) {
      it(`${step}${skip ? ` (after ${skip} member)` : ''}`, async () => {
        const dir = mkdtempSync(join(root, 'crash-'));
        const env = { BERTH_STATE_DIR: dir };
        const crashed = await berth(['snapshots', 'create', '--project', p.name], { ...env, ...crashAt(step, skip ? { skip } : {}) });
        assert.equal(crashed.signal, 'SIGKILL', `died at ${step} (exit ${crashed.code}: ${crashed.stderr})`);
        if (step === 'project.quiesce' || step === 'project.read') {
          assert.deepEqual([await state(p.db), await state(p.web)], [{ running: true, paused: true }, { running: true, paused: true }], 'the crash left both paused');
        }
        const next = await berth(['snapshots', 'list', '--json'], env);
        assert.equal(next.code, 0, next.stderr);
        assert.deepEqual([await state(p.db), await state(p.web)], [{ running: true, paused: false }, { running: true, paused: false }], 'both run again');
        const store = new SnapshotStore(dir);
        const list = (d: string) => (existsSync(d) ? readdirSync(d) : []);
        assert.deepEqual(list(store.layout.quiesce), [], 'no quiesce journal left');
        assert.deepEqual(list(store.layout.tmp), [], 'no temp leftovers');
        const records = (JSON.parse(next.stdout) as { snapshots: SnapshotInfo[] }).snapshots;
        const expected = step === 'project.commit' ? 2 : skip ? 1 : 0;
        assert.equal(records.length, expected, `${records.length} record(s) visible`);
        // A partly committed set says what it is: each member knows the set has 2.
        for (const r of records) assert.equal(r.set?.members, 2);
      });
    }
  });
});
