// The foundation's behaviour seen from inside VS Code: the backend is its own process, the
// Workloads provider lists real containers (grouped by compose project, with their mounts), the
// lifecycle commands act on the engine, and bad params get typed errors without hurting the
// backend.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { WorkloadItem } from '../../../client/src/views/workloads/WorkloadItem';
import { ErrorCodes, ListWorkloadsRequest, StartWorkloadRequest, type ListWorkloadsResult, type Workload } from '../../../protocol/src';
import { TEST_LABEL, TEST_RUN, createTestContainer, docker, uniqueName } from '../../fixtures/docker';
import { hasCode, isProject, isWorkload, scratchDir, send } from './berthApi';
import { eventually, type Suite } from './runner';

export const suite: Suite = {
  title: 'foundation: backend process, Workloads provider, lifecycle commands, typed errors',
  async prepare({ ctx, views }) {
    const engine = docker();
    const name = uniqueName('bapi');
    const project = `${name}-proj`;
    const mounted = `${name}-mounted`;
    const volume = `${name}-vol`;
    await createTestContainer({ name });
    await engine.createVolume({ Name: volume, Labels: { [TEST_LABEL]: TEST_RUN } });
    await createTestContainer({ name: mounted, binds: [`${volume}:/data`, `${scratchDir()}:/host:ro`] });
    await createTestContainer({ name: `${project}-web`, labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': 'web' } });

    return {
      // Only this suite's objects: other suites of the run may still need theirs.
      after: async () => {
        for (const container of [name, mounted, `${project}-web`]) await engine.getContainer(container).remove({ force: true, v: true });
        await engine.getVolume(volume).remove();
      },
      cases: [
        {
          name: 'the backend is a separate, live process',
          fn: async () => {
            const info = await ctx.serverInfo();
            assert.notEqual(info.pid, process.pid);
            assert.doesNotThrow(() => process.kill(info.pid, 0), `backend pid ${info.pid} is alive`);
            // The harness gives the server a temporary state folder through the environment.
            assert.equal(info.stateDir, process.env.BERTH_STATE_DIR);
            assert.ok(ctx.activationMs >= 0, 'activate() measured itself');
            assert.ok(info.readyMs > 0, 'the backend reports when it became ready');
          },
        },
        {
          name: 'the Workloads provider lists the test container, and the compose project as a group',
          fn: async () => {
            const roots = await eventually(
              `${name} among the tree's roots`,
              () => views.workloads.getChildren(),
              (nodes) => nodes.some((n) => isWorkload(n, name)),
            );
            const item = roots.find((n) => isWorkload(n, name)) as WorkloadItem | undefined;
            assert.equal(item?.workload.state, 'running');
            assert.equal(item?.contextValue, 'workload.running');
            const group = roots.find((n) => isProject(n, project));
            assert.ok(group, `project ${project} is a root`);
            const children = await views.workloads.getChildren(group);
            assert.deepEqual(
              children.map((c) => (c.contextValue?.startsWith('workload.') ? (c as WorkloadItem).workload.name : c.contextValue)),
              [`${project}-web`],
            );
          },
        },
        {
          name: "a container's children are its mounts: the named volume and the read-only bind",
          fn: async () => {
            const roots = await views.workloads.getChildren();
            const item = roots.find((n) => isWorkload(n, mounted));
            assert.ok(item, `${mounted} is a root`);
            const children = await views.workloads.getChildren(item);
            const byLabel = [...children].sort((a, b) => String(a.label).localeCompare(String(b.label)));
            assert.deepEqual(
              byLabel.map((c) => ({ label: c.label, context: c.contextValue })),
              [
                { label: '/data', context: 'mount.volume' },
                { label: '/host', context: 'mount.bind.ro' },
              ],
            );
            assert.match(String(byLabel[0]?.description), new RegExp(`^volume ${volume}`));
          },
        },
        {
          name: 'berth.workloads.stop and .start act on a real container',
          fn: async () => {
            const stopped = await vscode.commands.executeCommand<Workload | undefined>('berth.workloads.stop', name);
            assert.equal(stopped?.state, 'exited');
            assert.equal((await engine.getContainer(name).inspect()).State.Status, 'exited');
            const started = await vscode.commands.executeCommand<Workload | undefined>('berth.workloads.start', name);
            assert.equal(started?.state, 'running');
            assert.equal((await engine.getContainer(name).inspect()).State.Running, true);
          },
        },
        {
          name: 'berth.workloads.restart restarts it (a new start time)',
          fn: async () => {
            const before = (await engine.getContainer(name).inspect()).State.StartedAt;
            const restarted = await vscode.commands.executeCommand<Workload | undefined>('berth.workloads.restart', name);
            assert.equal(restarted?.state, 'running');
            const after = await engine.getContainer(name).inspect();
            assert.equal(after.State.Running, true);
            assert.notEqual(after.State.StartedAt, before);
          },
        },
        {
          name: 'a command naming no container does nothing and returns nothing',
          fn: async () => {
            const missing = uniqueName('bapi-missing');
            assert.equal(await vscode.commands.executeCommand('berth.workloads.stop', missing), undefined);
          },
        },
        {
          name: 'bad params get typed errors and the backend keeps answering',
          fn: async () => {
            const { pid } = await ctx.serverInfo();
            await assert.rejects(send(ctx, ListWorkloadsRequest.method, 'garbage'), hasCode(ErrorCodes.InvalidParams, /takes an object of named params/));
            await assert.rejects(send(ctx, ListWorkloadsRequest.method, { all: 'yes' }), hasCode(ErrorCodes.InvalidParams, /"all"/));
            await assert.rejects(send(ctx, StartWorkloadRequest.method, { workload: 42 }), hasCode(ErrorCodes.InvalidParams, /"workload"/));
            await assert.rejects(send(ctx, StartWorkloadRequest.method, { workload: uniqueName('bapi-missing') }), hasCode(ErrorCodes.NotFound));
            const { workloads } = await send<ListWorkloadsResult>(ctx, ListWorkloadsRequest.method, { all: true });
            assert.ok(workloads.some((w) => w.name === name));
            assert.equal((await ctx.serverInfo()).pid, pid, 'the same backend process answered');
          },
        },
      ],
    };
  },
};
