// Snapshots seen from inside VS Code: the commands drive the backend, the Snapshots provider
// groups by workload identity with the item states the menus match on, and a capture reports
// work-done progress and really stops on cancel.
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { WorkDoneProgress, type WorkDoneProgressBegin, type WorkDoneProgressEnd, type WorkDoneProgressReport } from 'vscode-languageclient/node';
import type { RequestType } from 'vscode-jsonrpc';
import type { SnapshotItem } from '../../../client/src/views/snapshots/SnapshotItem';
import type { SnapshotNode } from '../../../client/src/views/snapshots/SnapshotsProvider';
import type { WorkloadGroupItem } from '../../../client/src/views/snapshots/WorkloadGroupItem';
import {
  CreateSnapshotRequest,
  ErrorCodes,
  ListSnapshotsRequest,
  type CreateSnapshotResult,
  type ExportSnapshotResult,
  type ImportSnapshotResult,
  type ListSnapshotsResult,
  type SnapshotInfo,
  type VerifySnapshotResult,
} from '../../../protocol/src';
import { keyDigest } from '../../../server/src/snapshots/layout';
import { TEST_LABEL, TEST_RUN, createTestContainer, docker, uniqueName } from '../../fixtures/docker';
import { scratchDir, send } from './berthApi';
import { eventually, type Suite } from './runner';

function isGroup(node: SnapshotNode, key: string): node is WorkloadGroupItem {
  return node.contextValue === 'snapshotWorkload' && (node as WorkloadGroupItem).identity.key === key;
}

export const suite: Suite = {
  title: 'snapshots: commands, the Snapshots view, progress and cancel',
  async prepare({ ctx, views }) {
    const engine = docker();
    const name = uniqueName('bsnap');
    const volume = `${name}-vol`;
    const big = `${name}-big`;
    const bigVolume = `${name}-bigvol`;
    await engine.createVolume({ Name: volume, Labels: { [TEST_LABEL]: TEST_RUN } });
    await engine.createVolume({ Name: bigVolume, Labels: { [TEST_LABEL]: TEST_RUN } });
    await createTestContainer({ name, binds: [`${volume}:/data`], cmd: ['sh', '-c', 'mkdir -p /data/a && echo hello > /data/a/f && touch /tmp/ready; trap "exit 0" TERM; while true; do sleep 1; done'] });
    await createTestContainer({ name: big, binds: [`${bigVolume}:/data`], cmd: ['sh', '-c', 'head -c 209715200 /dev/urandom > /data/big && touch /tmp/ready; trap "exit 0" TERM; while true; do sleep 1; done'] });
    const key = `container:${name}`;
    const items = async (): Promise<SnapshotItem[]> => {
      const roots = await views.snapshots.getChildren();
      const group = roots.find((n) => isGroup(n, key));
      return group ? ((await views.snapshots.getChildren(group)) as SnapshotItem[]) : [];
    };
    const ready = async (container: string) => {
      const exec = await engine.getContainer(container).exec({ Cmd: ['test', '-e', '/tmp/ready'], AttachStdout: true });
      const stream = await exec.start({});
      await new Promise((r) => { stream.on('end', r); stream.resume(); });
      return (await exec.inspect()).ExitCode === 0;
    };

    return {
      after: async () => {
        for (const c of [name, big]) await engine.getContainer(c).remove({ force: true, v: true });
        for (const v of [volume, bigVolume]) await engine.getVolume(v).remove();
      },
      cases: [
        {
          name: 'Take Snapshot captures the workload; the view groups it under the workload identity',
          fn: async () => {
            await eventually(`${name} to have written its data`, () => ready(name), (ok) => ok);
            const result = await vscode.commands.executeCommand<CreateSnapshotResult>('berth.snapshots.take', name, { label: 'api' });
            assert.ok(result, 'the command returned the result');
            assert.equal(result.snapshot.label, 'api');
            assert.equal(result.snapshot.workload.key, key);
            const [item] = await eventually('the snapshot in the view', items, (list) => list.length === 1);
            assert.equal(item?.contextValue, 'snapshot.unpinned');
            assert.equal(item?.label, 'api');
            assert.match(String(item?.description), /1 volume/);
            assert.match(String(item?.description), /paused/);
            assert.match(String(item?.description), /not verified/);
            // Markdown escapes punctuation such as '-' in the tooltip's source text.
            const tooltip = (item?.tooltip as vscode.MarkdownString).value.replace(/\\/g, '');
            assert.match(tooltip, /\/data/);
            assert.match(tooltip, new RegExp(volume));
          },
        },
        {
          name: 'Verify marks the snapshot verified; Pin and Unpin change the contextValue the menus match',
          fn: async () => {
            const [item] = await items();
            const verified = await vscode.commands.executeCommand<VerifySnapshotResult>('berth.snapshots.verify', item);
            assert.equal(verified?.ok, true);
            await eventually('the item to show verified', async () => String((await items())[0]?.description), (d) => /· verified$/.test(d));
            await vscode.commands.executeCommand('berth.snapshots.pin', (await items())[0]);
            await eventually('the item to be pinned', async () => (await items())[0]?.contextValue, (c) => c === 'snapshot.pinned');
            await vscode.commands.executeCommand('berth.snapshots.unpin', (await items())[0]);
            await eventually('the item to be unpinned', async () => (await items())[0]?.contextValue, (c) => c === 'snapshot.unpinned');
          },
        },
        {
          name: 'Export writes the portable file; Import of it finds the snapshot already stored',
          fn: async () => {
            const [item] = await items();
            const file = join(scratchDir(), `${name}.tar.gz`);
            const exported = await vscode.commands.executeCommand<ExportSnapshotResult>('berth.snapshots.export', item, file);
            assert.equal(exported?.file, file);
            assert.ok(existsSync(file) && statSync(file).size === exported?.bytes);
            const imported = await vscode.commands.executeCommand<ImportSnapshotResult>('berth.snapshots.import', file);
            assert.equal(imported?.existing, true);
            assert.equal(imported?.snapshot.id, item?.snapshot.id);
          },
        },
        {
          name: 'a damaged record: the view shows its data as orphaned and the record as set aside; Adopt brings it back',
          fn: async () => {
            const [item] = await items();
            assert.ok(item);
            const stateDir = process.env.BERTH_STATE_DIR;
            assert.ok(stateDir, 'the backend state directory is known');
            const file = join(stateDir, 'snapshots', 'records', keyDigest(key), `${item.snapshot.recordId}.${item.snapshot.id}.json`);
            assert.ok(existsSync(file), file);
            writeFileSync(file, '{garbage');
            views.snapshots.refresh();
            const rows = async (): Promise<SnapshotNode[]> => {
              const roots = await views.snapshots.getChildren();
              const attention = roots.find((n) => n.contextValue === 'snapshotAttention');
              return attention ? views.snapshots.getChildren(attention) : [];
            };
            const found = await eventually('the Needs attention group with the orphan and the set-aside record', rows, (list) => list.length === 2);
            const orphan = found.find((n) => n.contextValue === 'snapshotOrphan');
            assert.ok(orphan, `an adoptable orphan row: ${found.map((n) => n.contextValue).join(', ')}`);
            assert.ok(found.some((n) => n.contextValue === 'snapshotQuarantined.adoptable'));
            assert.match(String(orphan.description), /orphaned/);
            assert.deepEqual(await items(), [], 'the unreadable record is not shown as a snapshot');
            const adopted = await vscode.commands.executeCommand<SnapshotInfo>('berth.snapshots.adopt', orphan);
            assert.equal(adopted?.id, item.snapshot.id);
            assert.equal(adopted?.origin, 'adopted');
            views.snapshots.refresh();
            await eventually('the snapshot back in the view, nothing needing attention', async () => [(await items()).length, (await rows()).length], ([n, a]) => n === 1 && a === 0);
          },
        },
        {
          name: 'a capture reports work-done progress per volume, and cancel stops it with nothing stored',
          fn: async () => {
            await eventually(`${big} to have written 200 MiB`, () => ready(big), (ok) => ok, 120_000);
            const client = ctx.languageClient();
            assert.ok(client);
            const token = `snapshots-suite-${Date.now()}`;
            const reports: string[] = [];
            const source = new vscode.CancellationTokenSource();
            const subscription = client.onProgress(WorkDoneProgress.type, token, (value: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd) => {
              if (value.kind === 'report' && value.message) {
                reports.push(value.message);
                if (/Reading volume 1\/1 \(\/data\): [1-9]/.test(value.message)) source.cancel();
              }
            });
            try {
              await assert.rejects(
                ctx.request(CreateSnapshotRequest.method as unknown as RequestType<unknown, CreateSnapshotResult, void>, { workload: big, workDoneToken: token }, source.token),
                (error: unknown) => (error as { code?: unknown }).code === ErrorCodes.Cancelled,
              );
            } finally {
              subscription.dispose();
              source.dispose();
            }
            assert.ok(reports.some((r) => /Reading volume 1\/1 \(\/data\): [1-9]/.test(r)), `progress named the volume and its bytes: ${JSON.stringify(reports)}`);
            const listed = await send<ListSnapshotsResult>(ctx, ListSnapshotsRequest.method, { workload: `container:${big}` });
            assert.deepEqual(listed.snapshots.map((s: SnapshotInfo) => s.id), []);
            const state = (await engine.getContainer(big).inspect()).State;
            assert.deepEqual({ running: state.Running, paused: state.Paused }, { running: true, paused: false });
          },
        },
      ],
    };
  },
};
