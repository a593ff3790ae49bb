import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ExitCodes } from '../../protocol/src';
import { Backend } from '../../server/src/backend';
import { runCli } from '../../cli/src/cli';
import { cleanupTestObjects, createTestContainer, uniqueName } from '../fixtures/docker';
import { detachedContext } from '../../server/src/operation';

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('workloads against the real engine', () => {
  before(() => cleanupTestObjects());
  after(() => cleanupTestObjects());

  it('lists a container with its compose identity and mounts', async () => {
    const name = uniqueName('berth-wl');
    await createTestContainer({
      name,
      labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'db' },
      binds: [`/tmp:/host-tmp:ro`],
    });
    const backend = new Backend({ settings: {} });
    const list = await backend.workloads.list(true);
    const found = list.find((w) => w.name === name);
    assert.ok(found, 'created container is listed');
    assert.equal(found.state, 'running');
    assert.equal(found.identity.key, 'compose:shop/db');
    assert.equal(found.composeProject, 'shop');
    assert.deepEqual(
      found.mounts.map((m) => ({ type: m.type, target: m.target, readOnly: m.readOnly })),
      [{ type: 'bind', target: '/host-tmp', readOnly: true }],
    );
  });

  it('stops and starts a container by name and reports the new state', async () => {
    const name = uniqueName('berth-wl');
    await createTestContainer({ name });
    const backend = new Backend({ settings: {} });
    const stopped = await backend.workloads.stop(name, detachedContext());
    assert.equal(stopped.state, 'exited');
    const started = await backend.workloads.start(name, detachedContext());
    assert.equal(started.state, 'running');
  });

  it('CLI: --json prints exactly one JSON document holding the container', async () => {
    const name = uniqueName('berth-wl');
    await createTestContainer({ name });
    const { io, out } = captureIo();
    const code = await runCli(['workloads', 'list', '--json'], io);
    assert.equal(code, ExitCodes.Ok);
    assert.equal(out.length, 1);
    const doc = JSON.parse(out[0] ?? '') as { workloads: { name: string }[] };
    assert.ok(doc.workloads.some((w) => w.name === name));
  });

  it('CLI: an unreachable engine exits 6 with a typed JSON error', async () => {
    const { io, out } = captureIo();
    const code = await runCli(['workloads', 'list', '--json', '--docker-host', 'unix:///nonexistent/docker.sock'], io);
    assert.equal(code, ExitCodes.EngineUnreachable);
    const doc = JSON.parse(out[0] ?? '') as { error: { code: number; name: string; message: string } };
    assert.equal(doc.error.name, 'EngineUnreachable');
    assert.match(doc.error.message, /nonexistent\/docker\.sock/);
  });
});
