// Guard 1's refusal of a volume whose driver is not `local`. No volume plugin can be installed on
// the test machine (nothing is downloaded), so the engine's answers are faked here: the judgement
// is pure logic over `inspect` and the volume's details. The other refusals run against the real
// engine in test/integration/restoreGuards.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes } from '../../protocol/src';
import type { SnapshotManifest } from '../../server/src/archive/manifest';
import type { ContainerDetails, Engine, VolumeDetails } from '../../server/src/engine/engine';
import { planRestore } from '../../server/src/restore/preflight';

const ROOT = '/var/lib/docker';

function engineWith(volume: VolumeDetails): Engine {
  const fake = {
    info: async () => ({ DockerRootDir: ROOT }),
    inspectVolume: async (name: string) => ({ ...volume, Name: name }),
  };
  return fake as unknown as Engine;
}

const details = {
  Id: 'c'.repeat(64),
  Name: '/web',
  State: { Status: 'running', Running: true, Paused: false },
  Config: { Tty: false, Image: 'web', Labels: null },
  Mounts: [{ Type: 'volume', Name: 'shared', Source: `${ROOT}/volumes/shared/_data`, Destination: '/data', Driver: 'local', RW: true }],
  HostConfig: {},
} as unknown as ContainerDetails;

const manifest = {
  volumes: [{ index: 0, target: '/data', type: 'volume', source: 'shared', readOnly: false, bytes: 0, files: 0, entries: [{ path: '.', type: 'dir' }], skipped: [] }],
} as unknown as SnapshotManifest;

describe('restore preflight: volume drivers', () => {
  it('a local volume is planned (the control: the fake engine is otherwise acceptable)', async () => {
    const plan = await planRestore(engineWith({ Name: 'shared', Driver: 'local', Mountpoint: `${ROOT}/volumes/shared/_data` }), details, manifest);
    assert.deepEqual(plan.volumes.map((v) => [v.target, v.hostDir]), [['/data', `${ROOT}/volumes/shared/_data`]]);
  });

  it('a volume of another driver is refused before anything is touched, naming the driver', async () => {
    // A plugin's volume may even report a mount point that looks local: the driver decides.
    const nfs = engineWith({ Name: 'shared', Driver: 'example/nfs', Mountpoint: `${ROOT}/volumes/shared/_data` });
    await assert.rejects(planRestore(nfs, details, manifest), (e: { code?: number; message: string }) => {
      assert.equal(e.code, ErrorCodes.Rejected);
      assert.match(e.message, /Volume 0 \(\/data\): the volume shared uses the driver "example\/nfs"; only local volumes can be swapped by rename/);
      return true;
    });
  });
});
