// Schedules through the real CLI against the real engine, the clock pinned with BERTH_CLOCK_NOW
// (docs/schedules.md): add (an invalid cron expression exits 5 with the parser's reason), run
// when due, missed (caught up once), a busy target (skipped and recorded, not queued), two
// `schedule run` at once (one snapshot), a failed run (exit 1 with the reason), a project target,
// and retention through a schedule. Also retention's integration run: `snapshots prune`
// with --dry-run and for real over two years of records.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PruneSnapshotsResult, ScheduleInfo, SnapshotInfo } from '../../protocol/src';
import { acquireLock } from '../../server/src/locks';
import type { CatalogRecord } from '../../server/src/snapshots/catalog';
import { newRecordId } from '../../server/src/snapshots/recordIds';
import { SnapshotStore } from '../../server/src/snapshots/store';
import { cleanupTestObjects, createTestContainer, docker, TEST_LABEL, TEST_RUN, uniqueName } from '../fixtures/docker';

const BERTH = resolve(__dirname, '../../../bin/berth.js');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function berth(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((r) => {
    // Cron slots are local time: UTC here, so the pinned clock reads as written.
    const child = spawn(process.execPath, [BERTH, ...args], { env: { ...process.env, TZ: 'UTC', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => r({ code, stdout, stderr }));
  });
}

describe('schedules through the CLI', () => {
  let root: string;
  let name: string;
  let project: string;

  before(async () => {
    assert.ok(existsSync(resolve(__dirname, '../../../dist/cli.js')), 'build the CLI first (node esbuild.mjs)');
    await cleanupTestObjects();
    root = mkdtempSync(join(tmpdir(), 'berth-sched-it-'));
    const volume = uniqueName('berth-schedvol');
    await docker().createVolume({ Name: volume, Labels: { [TEST_LABEL]: TEST_RUN } });
    name = uniqueName('berth-sched');
    await createTestContainer({ name, binds: [`${volume}:/data`], cmd: ['sh', '-c', 'echo 1 > /data/x; trap "exit 0" TERM; while true; do sleep 1; done'] });
    project = uniqueName('berthsp');
    for (const service of ['db', 'web']) {
      const v = `${project}_${service}`;
      await docker().createVolume({ Name: v, Labels: { [TEST_LABEL]: TEST_RUN } });
      await createTestContainer({ name: `${project}-${service}-1`, binds: [`${v}:/data`], labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': service } });
    }
  });
  after(async () => {
    await cleanupTestObjects();
    rmSync(root, { recursive: true, force: true });
  });

  function fresh(): { env: NodeJS.ProcessEnv; at: (iso: string) => NodeJS.ProcessEnv; records: () => Promise<CatalogRecord[]> } {
    const stateDir = mkdtempSync(join(root, 'state-'));
    return {
      env: { BERTH_STATE_DIR: stateDir, BERTH_CLOCK_NOW: '2026-03-01T00:00:00Z' },
      at: (iso) => ({ BERTH_STATE_DIR: stateDir, BERTH_CLOCK_NOW: iso }),
      records: async () => new SnapshotStore(stateDir).catalog.list(),
    };
  }

  it('refuses an invalid cron expression with exit 5 and the parser\'s reason', async () => {
    const s = fresh();
    const bad = await berth(['schedule', 'add', name, '--cron', '0 25 * * *'], s.env);
    assert.equal(bad.code, 5);
    assert.match(bad.stderr, /The cron expression "0 25 \* \* \*" is not valid: Invalid value for hour: 25/);
    const missing = await berth(['schedule', 'add', name], s.env);
    assert.equal(missing.code, 2);
    assert.equal((await berth(['schedule', 'list', '--json'], s.env)).stdout.includes('"schedules": []'), true);
  });

  it('runs when due, once per slot; catches a missed run up once; keeps --keep-last', async () => {
    const s = fresh();
    const added = await berth(['schedule', 'add', name, '--cron', '0 3 * * *', '--label', 'nightly', '--keep-last', '2'], s.env);
    assert.equal(added.code, 0, added.stderr);
    assert.equal((await berth(['schedule', 'run'], s.at('2026-03-01T02:59:00Z'))).stdout.trim(), 'Nothing is due.');
    const first = await berth(['schedule', 'run', '--json'], s.at('2026-03-01T03:00:05Z'));
    assert.equal(first.code, 0, first.stderr);
    const report = JSON.parse(first.stdout) as { runs: { schedule: ScheduleInfo; run: { outcome: string; recordIds: string[] } }[] };
    assert.equal(report.runs[0]?.run.outcome, 'ok');
    assert.equal((await berth(['schedule', 'run'], s.at('2026-03-01T03:00:50Z'))).stdout.trim(), 'Nothing is due.', 'the slot is taken');
    const records = await s.records();
    assert.equal(records.length, 1);
    assert.equal(records[0]?.label, 'nightly');
    assert.equal(records[0]?.schedule, report.runs[0]?.schedule.id, 'the record carries its schedule');
    assert.equal(records[0]?.workload.key, `container:${name}`, 'the schedule names the workload by identity');

    // Off for a week: one run, caught up.
    const caught = await berth(['schedule', 'run'], s.at('2026-03-08T09:00:00Z'));
    assert.equal(caught.code, 0, caught.stderr);
    assert.match(caught.stdout, /2026-03-08 03:00, caught up\): took/);
    assert.equal((await s.records()).length, 2);
    await berth(['schedule', 'run'], s.at('2026-03-09T03:00:01Z'));
    // --keep-last 2 through the schedule: the oldest went.
    const left = await s.records();
    assert.equal(left.length, 2);
    assert.ok(!left.some((r) => r.recordId === records[0]?.recordId), 'the first scheduled snapshot was removed by retention');
    const listed = JSON.parse((await berth(['schedule', 'list', '--json'], s.at('2026-03-09T04:00:00Z'))).stdout) as { schedules: ScheduleInfo[] };
    assert.equal(listed.schedules[0]?.nextRun, '2026-03-10T03:00:00.000Z');
    assert.equal(listed.schedules[0]?.lastRun?.slot, '2026-03-09T03:00:00.000Z');
  });

  it('skips a busy target and records it; the slot is not queued', async () => {
    const s = fresh();
    await berth(['schedule', 'add', `container:${name}`, '--cron', '0 * * * *'], s.env);
    const lock = await acquireLock(s.env.BERTH_STATE_DIR as string, 'workload', `container:${name}`, 'restore');
    let busy: Run;
    try {
      busy = await berth(['schedule', 'run', '--json'], s.at('2026-03-01T01:00:10Z'));
    } finally {
      await lock.release();
    }
    assert.equal(busy.code, 0, 'a skipped run is not a failure');
    assert.equal((JSON.parse(busy.stdout) as { runs: { run: { outcome: string; message: string } }[] }).runs[0]?.run.outcome, 'skipped-busy');
    assert.equal((await berth(['schedule', 'run'], s.at('2026-03-01T01:30:00Z'))).stdout.trim(), 'Nothing is due.');
    assert.equal((await s.records()).length, 0);
    const listed = JSON.parse((await berth(['schedule', 'list', '--json'], s.env)).stdout) as { schedules: ScheduleInfo[] };
    assert.equal(listed.schedules[0]?.lastRun?.outcome, 'skipped-busy');
  });

  it('two `schedule run` at once take the snapshot once', async () => {
    const s = fresh();
    await berth(['schedule', 'add', `container:${name}`, '--cron', '0 3 * * *'], s.env);
    const both = await Promise.all([berth(['schedule', 'run', '--json'], s.at('2026-03-01T03:00:01Z')), berth(['schedule', 'run', '--json'], s.at('2026-03-01T03:00:01Z'))]);
    for (const r of both) assert.equal(r.code, 0, r.stderr);
    const ran = both.flatMap((r) => (JSON.parse(r.stdout) as { runs: unknown[] }).runs);
    assert.equal(ran.length, 1, 'one of them ran it');
    assert.equal((await s.records()).length, 1, 'one snapshot');
  });

  it('a failed run exits 1 with the reason', async () => {
    const s = fresh();
    await berth(['schedule', 'add', 'container:no-such-workload-here', '--cron', '0 3 * * *'], s.env);
    const failed = await berth(['schedule', 'run'], s.at('2026-03-01T03:00:01Z'));
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /container:no-such-workload-here .*failed: No workload named/);
  });

  it('a project target takes a set; remove by number', async () => {
    const s = fresh();
    await berth(['schedule', 'add', `project:${project}`, '--cron', '@daily'], s.env);
    const ran = await berth(['schedule', 'run', '--json'], s.at('2026-03-02T00:00:01Z'));
    assert.equal(ran.code, 0, ran.stderr);
    const run = (JSON.parse(ran.stdout) as { runs: { run: { setId: string; recordIds: string[] } }[] }).runs[0]?.run;
    assert.match(run?.setId ?? '', /^set-/);
    assert.equal(run?.recordIds.length, 2);
    const removed = await berth(['schedule', 'remove', '1'], s.env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await berth(['schedule', 'remove', '1'], s.env)).code, 4);
  });

  it("retention: prune's dry run says what it would keep and remove and why; the real run removes exactly that", async () => {
    const s = fresh();
    const made = await berth(['snapshots', 'create', name, '--json'], s.env);
    assert.equal(made.code, 0, made.stderr);
    const store = new SnapshotStore(s.env.BERTH_STATE_DIR as string);
    const [base] = await store.catalog.list();
    assert.ok(base);
    // Two years of daily records of that capture (the data is stored once).
    for (let day = 1; day <= 730; day++) {
      const capturedAt = new Date(Date.UTC(2024, 0, 1, 3) + day * 86_400_000).toISOString();
      await store.catalog.write({ ...base, recordId: newRecordId(capturedAt), capturedAt, label: '' });
    }
    await store.catalog.remove(base);
    const args = ['snapshots', 'prune', `container:${name}`, '--keep-daily', '7', '--keep-weekly', '4', '--keep-monthly', '12', '--keep-yearly', '3'];
    const dry = await berth([...args, '--dry-run', '--json'], s.at('2026-01-02T00:00:00Z'));
    assert.equal(dry.code, 0, dry.stderr);
    const decided = JSON.parse(dry.stdout) as PruneSnapshotsResult;
    assert.equal(decided.dryRun, true);
    assert.equal((await store.catalog.list()).length, 730, 'the dry run removed nothing');
    const kept = decided.decisions?.filter((d) => d.keep) ?? [];
    assert.ok(kept.every((d) => d.reasons.length > 0));
    assert.equal(decided.removed.length, 730 - kept.length);
    // restic's arithmetic, newest 2025-12-31 (a Wednesday): 7 daily; 2 more weekly (12-21, 12-14;
    // 12-31 and 12-28 are daily already); 11 more monthly (the ends of January to November); 2
    // more yearly (2024-12-31, and the oldest record while yearly counts are left).
    assert.equal(kept.length, 7 + 2 + 11 + 2);
    const human = await berth([...args, '--dry-run'], s.at('2026-01-02T00:00:00Z'));
    assert.match(human.stdout, /keep {4}\S+ {2}\S+ \S+ {2}\(daily, weekly, monthly, yearly\)/);
    assert.match(human.stdout, /Would remove \d+ record\(s\) \(dry run; nothing was changed\)\./);

    const real = await berth([...args, '--json'], s.at('2026-01-02T00:00:00Z'));
    assert.equal(real.code, 0, real.stderr);
    const done = JSON.parse(real.stdout) as PruneSnapshotsResult;
    assert.deepEqual([...done.removed].sort(), [...decided.removed].sort(), 'the real run removed what the dry run named');
    const left = (await store.catalog.list()).map((r) => r.recordId).sort();
    assert.deepEqual(left, kept.map((d) => d.id).sort());
    assert.equal(await store.hasObject(base.id), true, 'the data the kept records share stays');
    const listed = JSON.parse((await berth(['snapshots', 'list', '--json'], s.env)).stdout) as { snapshots: SnapshotInfo[] };
    assert.equal(listed.snapshots.length, left.length);

    const empty = await berth(['snapshots', 'prune', `container:${name}`], s.env);
    assert.equal(empty.code, 2, 'a policy without a rule is refused');
    const badWithin = await berth(['snapshots', 'prune', `container:${name}`, '--keep-within', '2w'], s.env);
    assert.equal(badWithin.code, 2);
    assert.match(badWithin.stderr, /not a duration/);
  });
});
