// The operation runner (client/src/operations/runner.ts) seen from inside VS Code, through the
// commands a user runs: a failing operation shows the backend's typed error (its message and the
// Open Log action), and Cancel really stops the backend's work, with the workload's row busy
// while it runs.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { OperationEnd } from '../../../client/src/operations/runner';
import type { WorkloadItem } from '../../../client/src/views/workloads/WorkloadItem';
import {
  CreateSnapshotRequest,
  ErrorCodes,
  ListSnapshotsRequest,
  ListWorkloadsRequest,
  StopWorkloadRequest,
  type ListSnapshotsResult,
  type ListWorkloadsResult,
  type Workload,
} from '../../../protocol/src';
import { TEST_LABEL, TEST_RUN, createTestContainer, docker, uniqueName } from '../../fixtures/docker';
import { isWorkload, send } from './berthApi';
import { eventually, type Suite } from './runner';

export const suite: Suite = {
  title: 'operations: one runner for progress, cancel, busy rows, typed errors',
  async prepare({ ctx, views }) {
    const engine = docker();
    const gone = uniqueName('bops-gone');
    const big = uniqueName('bops-big');
    const bigVolume = `${big}-vol`;
    await createTestContainer({ name: gone });
    await engine.createVolume({ Name: bigVolume, Labels: { [TEST_LABEL]: TEST_RUN } });
    await createTestContainer({ name: big, binds: [`${bigVolume}:/data`], cmd: ['sh', '-c', 'head -c 209715200 /dev/urandom > /data/big && touch /tmp/ready; trap "exit 0" TERM; while true; do sleep 1; done'] });
    const ready = async () => {
      const exec = await engine.getContainer(big).exec({ Cmd: ['test', '-e', '/tmp/ready'], AttachStdout: true });
      const stream = await exec.start({});
      await new Promise((r) => {
        stream.on('end', r);
        stream.resume();
      });
      return (await exec.inspect()).ExitCode === 0;
    };
    /** The end of the next operation of this method. */
    const nextEnd = (method: string) =>
      new Promise<OperationEnd>((resolve) => {
        const subscription = ctx.operations.onDidEnd((end) => {
          if (end.operation.method !== method) return;
          subscription.dispose();
          resolve(end);
        });
      });

    return {
      after: async () => {
        await engine.getContainer(big).remove({ force: true, v: true });
        await engine.getVolume(bigVolume).remove();
      },
      cases: [
        {
          name: "a failing operation shows the backend's typed error: its message, with Open Log",
          fn: async () => {
            // The workload as the tree listed it, removed behind the client's back.
            const { workloads } = await send<ListWorkloadsResult>(ctx, ListWorkloadsRequest.method, { all: true });
            const workload = workloads.find((w) => w.name === gone);
            assert.ok(workload, `${gone} is listed`);
            await engine.getContainer(gone).remove({ force: true });
            // What the backend answers for it, asked directly.
            let direct: { code?: unknown; message?: string } = {};
            await assert.rejects(send(ctx, StopWorkloadRequest.method, { workload: workload.id }), (error: { code?: unknown; message?: string }) => {
              direct = error;
              return true;
            });
            assert.equal(direct.code, ErrorCodes.NotFound);

            const ended = nextEnd(StopWorkloadRequest.method);
            const result = await vscode.commands.executeCommand<Workload | undefined>('berth.workloads.stop', { workload });
            assert.equal(result, undefined, 'the command resolves to nothing; it does not throw');
            const end = await ended;
            assert.equal(end.outcome, 'failed');
            assert.deepEqual(end.error, { code: ErrorCodes.NotFound, name: 'NotFound', message: direct.message });
            assert.deepEqual(end.notice, { message: direct.message, actions: ['Open Log'] }, 'the notification shows the typed message and the log');
            assert.equal(end.operation.workload?.key, workload.identity.key);
            assert.deepEqual(ctx.operations.list(), [], 'nothing is left running');
          },
        },
        {
          name: 'Cancel stops the backend: a capture cancelled while reading stores nothing and resumes the workload; its row is busy meanwhile',
          fn: async () => {
            await eventually(`${big} to have written 200 MiB`, ready, (ok) => ok, 120_000);
            const key = `container:${big}`;
            const ended = nextEnd(CreateSnapshotRequest.method);
            const command = vscode.commands.executeCommand('berth.snapshots.take', big, { label: 'cancelled' });
            const operation = await eventually(
              'the capture to report bytes read',
              () => ctx.operations.list().find((o) => o.method === CreateSnapshotRequest.method && o.workload?.key === key),
              (o) => o !== undefined && /Reading volume 1\/1 \(\/data\): [1-9]/.test(o.message),
              120_000,
            );
            assert.ok(operation);
            assert.equal(ctx.busy.get(key), 'capture');
            const row = (await views.workloads.getChildren()).find((n) => isWorkload(n, big)) as WorkloadItem | undefined;
            assert.match(String(row?.contextValue), /^workload\.(running|paused)\.busy$/, 'the row shows the workload busy while the capture runs');
            operation.cancel();
            assert.equal(await command, undefined);
            const end = await ended;
            assert.equal(end.outcome, 'cancelled');
            // The answer came from the backend: it stopped the capture and said so.
            assert.equal(end.error?.code, ErrorCodes.Cancelled);
            assert.equal(end.notice, undefined, 'a cancel the user asked for is not announced');
            const listed = await send<ListSnapshotsResult>(ctx, ListSnapshotsRequest.method, { workload: key });
            assert.deepEqual(listed.snapshots.map((s) => s.id), [], 'nothing was stored');
            const state = (await engine.getContainer(big).inspect()).State;
            assert.deepEqual({ running: state.Running, paused: state.Paused }, { running: true, paused: false }, 'the workload runs again');
            assert.equal(ctx.busy.get(key), undefined, 'the busy mark is gone');
            const after = (await views.workloads.getChildren()).find((n) => isWorkload(n, big)) as WorkloadItem | undefined;
            assert.equal(after?.contextValue, 'workload.running');
          },
        },
      ],
    };
  },
};
