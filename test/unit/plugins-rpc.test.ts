import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { createConnection } from 'vscode-languageserver/node';
import { ErrorCodes, InstallPluginRequest, ListPluginsRequest, RemovePluginRequest, RollbackPluginRequest, SweepPluginsRequest } from '../../protocol/src';
import { Backend } from '../../server/src/backend';
import { registerPluginHandlers } from '../../server/src/handlers/plugins';
import { nullLog } from '../../server/src/log';

// The berth/plugins/* handlers over an in-memory JSON-RPC pipe, against an engine endpoint where
// nothing listens: params are checked before anything else, and every failure is a typed error.
describe('berth/plugins/* over JSON-RPC', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'berth-plugins-rpc-'));
  let client: MessageConnection;
  before(() => {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    const server = createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
    const backend = new Backend({ settings: { stateDir, dockerHost: `unix://${join(stateDir, 'no-engine.sock')}` }, env: {} });
    registerPluginHandlers(server, nullLog, backend);
    server.listen();
    client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
    client.listen();
  });
  after(() => {
    client.dispose();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const code = async (run: Promise<unknown>) => {
    try {
      await run;
    } catch (error) {
      return (error as { code: number }).code;
    }
    return 0;
  };

  it('refuses malformed params with InvalidParams, naming the field', async () => {
    assert.equal(await code(client.sendRequest(InstallPluginRequest.type, { workload: 'w' } as never)), ErrorCodes.InvalidParams);
    assert.equal(await code(client.sendRequest(InstallPluginRequest.type, { workload: 'w', folder: 7 } as never)), ErrorCodes.InvalidParams);
    assert.equal(await code(client.sendRequest(RollbackPluginRequest.type, { workload: 'w' } as never)), ErrorCodes.InvalidParams);
    assert.equal(await code(client.sendRequest(RemovePluginRequest.type, { workload: 'w', name: 'x', wait: 'yes' } as never)), ErrorCodes.InvalidParams);
    assert.equal(await code(client.sendRequest(SweepPluginsRequest.type, [] as never)), ErrorCodes.InvalidParams);
    assert.equal(await code(client.sendRequest(ListPluginsRequest.type, { workload: 5 } as never)), ErrorCodes.InvalidParams);
  });

  it('refuses a hostile name before touching the engine', async () => {
    assert.equal(await code(client.sendRequest(InstallPluginRequest.type, { workload: 'w', folder: stateDir, name: '../x' })), ErrorCodes.Rejected);
  });

  it('reports an unreachable engine as EngineUnreachable, and the backend keeps serving', async () => {
    assert.equal(await code(client.sendRequest(SweepPluginsRequest.type, { workload: 'w' })), ErrorCodes.EngineUnreachable);
    assert.equal(await code(client.sendRequest(ListPluginsRequest.type, {})), ErrorCodes.EngineUnreachable);
  });
});
