// The backend's RPC surface, run for real over in-memory streams: malformed requests get typed
// errors naming the field, cancellation and work-done progress cross the boundary, and an
// unreachable engine is reported. No real engine: endpoints are nonexistent or silent sockets.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CancellationTokenSource,
  createMessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  type ResponseMessage,
} from 'vscode-jsonrpc/node';
import {
  EngineStatusNotification,
  EngineStatusRequest,
  ErrorCodes,
  errorCodeName,
  ListWorkloadsRequest,
  ServerInfoRequest,
  SettingsChangedNotification,
  WatchWorkloadsNotification,
  type EngineStatus,
} from '../../protocol/src';
import { startRpcPair, type RpcPair } from './harness/rpcPair';
import { startSilentEngine, type SilentEngine } from './harness/silentEngine';

const MethodNotFound = -32601;
const nowhere = (tag: string) => `unix:///nonexistent/berth-${process.pid}-${tag}/docker.sock`;

interface Case {
  readonly method: string;
  /** Omitted means "no params member at all". */
  readonly params?: unknown;
  readonly code: number;
  /** What the message must name: the field, or the method for whole-params errors. */
  readonly names: RegExp;
}

const NO_PARAMS_METHODS = ['berth/server/info', 'berth/engine/status', 'berth/volumes/usage'];
const LIFECYCLE = ['berth/workloads/start', 'berth/workloads/stop', 'berth/workloads/restart'];
const huge = 'x'.repeat(1_000_000);

function malformedCases(): Case[] {
  const cases: Case[] = [];
  const invalid = (method: string, params: unknown, names: RegExp) => cases.push({ method, params, code: ErrorCodes.InvalidParams, names });
  // Params that are neither an object nor an array make the whole message an invalid Request.
  const invalidRequest = (method: string, params: unknown, names: RegExp) => cases.push({ method, params, code: ErrorCodes.InvalidRequest, names });
  for (const method of NO_PARAMS_METHODS) {
    const m = new RegExp(method.replace(/\//g, '\\/'));
    invalidRequest(method, 'a string', m);
    invalidRequest(method, 42, m);
    invalidRequest(method, true, m);
    invalid(method, { unexpected: 1 }, /"unexpected"/);
    invalid(method, { ['__proto__']: { polluted: true } }, /"__proto__"/);
    invalid(method, [1, 2], m);
  }
  const list = ListWorkloadsRequest.method;
  invalid(list, { all: 'yes' }, /"all"/);
  invalid(list, { all: 1 }, /"all"/);
  invalid(list, { all: null }, /"all"/);
  invalid(list, { all: [true] }, /"all"/);
  invalid(list, { all: { value: true } }, /"all"/);
  invalid(list, { al: true }, /"al"/);
  invalid(list, { ['k'.repeat(100_000)]: true }, /"k{60}…k{40} \(100000 characters\)"/);
  invalidRequest(list, 'all', /berth\/workloads\/list/);
  invalidRequest(list, 7, /berth\/workloads\/list/);
  invalid(list, ['a', 'b', 'c'], /berth\/workloads\/list/);
  invalid(list, { all: true, workDoneToken: { nested: 1 } }, /"workDoneToken"/);
  invalid(list, { all: true, workDoneToken: '' }, /"workDoneToken"/);
  for (const method of LIFECYCLE) {
    invalid(method, {}, /"workload"/);
    invalid(method, null, /"workload"/);
    invalid(method, { workload: 42 }, /"workload"/);
    invalid(method, { workload: '' }, /"workload"/);
    invalid(method, { workload: null }, /"workload"/);
    invalid(method, { workload: ['web'] }, /"workload"/);
    invalid(method, { workload: { id: 'web' } }, /"workload"/);
    invalid(method, { workload: huge }, /"workload"/);
    invalid(method, { workload: 'web\u0000; rm -rf /' }, /"workload"/);
    invalid(method, { workload: 'web', force: true }, /"force"/);
    invalidRequest(method, 'web', new RegExp(method.replace(/\//g, '\\/')));
  }
  const logs = 'berth/workloads/logs';
  invalid(logs, { tail: 5 }, /"workload"/);
  invalid(logs, { workload: 'web', tail: -1 }, /"tail"/);
  invalid(logs, { workload: 'web', tail: 0 }, /"tail"/);
  invalid(logs, { workload: 'web', tail: 10_001 }, /"tail"/);
  invalid(logs, { workload: 'web', tail: 1.5 }, /"tail"/);
  invalid(logs, { workload: 'web', tail: '5' }, /"tail"/);
  invalid(logs, { workload: 'web', tail: 1e308 }, /"tail"/);
  invalid(logs, { workload: 'web', timestamps: 'true' }, /"timestamps"/);
  invalid(logs, { workload: 'web', timestamps: 0 }, /"timestamps"/);
  invalid(logs, { workload: huge, tail: 5 }, /"workload"/);
  for (const method of ['berth/nope', 'berth/workloads/delete', 'BERTH/SERVER/INFO', 'berth/server/info ', '', `berth/${huge.slice(0, 10_000)}`]) {
    cases.push({ method, params: {}, code: MethodNotFound, names: /Unhandled method/ });
  }
  return cases;
}

describe('RPC: malformed requests', () => {
  let pair: RpcPair;
  before(async () => {
    pair = startRpcPair();
    const init = await pair.initialize({ dockerHost: nowhere('malformed') });
    assert.equal(init.serverInfo?.name, 'berth');
  });
  after(() => pair.dispose());

  it('answers every malformed request with a typed error naming the field, and keeps serving', async () => {
    const cases = malformedCases();
    assert.ok(cases.length >= 50, `only ${cases.length} cases`);
    let id = 0;
    const failures: string[] = [];
    for (const c of cases) {
      const request = { id: `bad-${id++}`, method: c.method, ...(c.params === undefined ? {} : { params: c.params }) };
      const answer: ResponseMessage = await pair.raw(request);
      const label = `${c.method.slice(0, 40)} ${JSON.stringify(c.params)?.slice(0, 60)}`;
      if (!answer.error) {
        failures.push(`${label}: answered with a result`);
        continue;
      }
      if (answer.error.code !== c.code) failures.push(`${label}: code ${answer.error.code} (${answer.error.message.slice(0, 120)})`);
      if (!c.names.test(answer.error.message)) failures.push(`${label}: message "${answer.error.message.slice(0, 160)}" does not match ${c.names}`);
      const name = errorCodeName(c.code);
      if (name && (answer.error.data as { name?: unknown } | undefined)?.name !== name) {
        failures.push(`${label}: data.name is not ${name}`);
      }
      // Errors quote the field, never echo a megabyte of input back.
      if (answer.error.message.length > 1000) failures.push(`${label}: message of ${answer.error.message.length} characters`);
    }
    assert.deepEqual(failures, []);
    const info = await pair.client.sendRequest(ServerInfoRequest.type, undefined);
    assert.equal(info.pid, process.pid);
  });

  it('gives the real client typed ResponseErrors too', async () => {
    await assert.rejects(pair.client.sendRequest(ListWorkloadsRequest.method, { all: 'yes' }), (error: unknown) => {
      assert.ok(error instanceof ResponseError);
      assert.equal(error.code, ErrorCodes.InvalidParams);
      assert.match(error.message, /"all"/);
      return true;
    });
    // Positional params as vscode-jsonrpc sends a lone non-object param: ["web"].
    await assert.rejects(pair.client.sendRequest('berth/workloads/stop', 'web'), (error: unknown) => {
      assert.ok(error instanceof ResponseError);
      assert.equal(error.code, ErrorCodes.InvalidParams);
      return true;
    });
    await assert.rejects(pair.client.sendRequest('berth/workloads/stop', 'a', 'b', 'c'), (error: unknown) => {
      assert.ok(error instanceof ResponseError);
      assert.equal(error.code, ErrorCodes.InvalidParams);
      assert.match(error.message, /3 positional params/);
      return true;
    });
  });

  it('survives junk notifications and broken frames', async () => {
    const junk: [string, unknown][] = [
      ['$/cancelRequest', null],
      ['$/cancelRequest', { id: 'never-sent' }],
      ['$/cancelRequest', 'x'],
      [WatchWorkloadsNotification.method, 'abc'],
      [WatchWorkloadsNotification.method, [1, 2, 3]],
      [WatchWorkloadsNotification.method, { visible: 'yes' }],
      [SettingsChangedNotification.method, 42],
      [SettingsChangedNotification.method, []],
      [SettingsChangedNotification.method, { dockerHost: 5, stateDir: ['x'] }],
      ['berth/unknown/notification', { a: 1 }],
    ];
    for (const [method, params] of junk) {
      const json = JSON.stringify({ jsonrpc: '2.0', method, params });
      pair.rawBytes(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    }
    const broken = '{"jsonrpc":"2.0","id":"x","method":';
    pair.rawBytes(`Content-Length: ${broken.length}\r\n\r\n${broken}`);
    // A request whose id is an object is not a request; it must not break the next one.
    const oddId = JSON.stringify({ jsonrpc: '2.0', id: { x: 1 }, method: ServerInfoRequest.method });
    pair.rawBytes(`Content-Length: ${oddId.length}\r\n\r\n${oddId}`);
    const info = await pair.raw({ id: 'after-junk', method: ServerInfoRequest.method });
    assert.equal((info.result as { pid: number }).pid, process.pid);
    // The endpoint did not change behind our back: the junk settings were ignored.
    const status = await pair.client.sendRequest('berth/engine/status');
    assert.equal((status as EngineStatus).endpoint, nowhere('malformed'));
  });

  it('refuses a second initialize', async () => {
    const answer = await pair.raw({ id: 'init-2', method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
    assert.ok(answer.error);
    assert.equal(answer.error.code, -32600);
  });
});

describe('RPC: cancellation and progress cross the boundary', () => {
  let engine: SilentEngine;
  let pair: RpcPair;
  before(async () => {
    engine = await startSilentEngine();
    pair = startRpcPair();
    await pair.initialize({ dockerHost: engine.url });
  });
  after(async () => {
    pair.dispose();
    await engine.close();
  });

  it('cancels berth/workloads/list in flight with Cancelled (-32800) and hangs up on the engine', async () => {
    const source = new CancellationTokenSource();
    const pending = pair.client.sendRequest(ListWorkloadsRequest.type, { all: true, workDoneToken: 'list-1' } as never, source.token);
    const socket = await engine.waitForRequest('GET /containers/json');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    source.cancel();
    await assert.rejects(pending, (error: unknown) => {
      assert.ok(error instanceof ResponseError, String(error));
      assert.equal(error.code, ErrorCodes.Cancelled);
      assert.equal((error.data as { name?: string }).name, 'Cancelled');
      return true;
    });
    // Cancelling really stopped the work: the engine request's socket was closed.
    await closed;
    // The request's work-done progress began and ended, in that order.
    const end = await pair.waitForNotification('$/progress', (p) => (p as { token: string; value: { kind: string } }).token === 'list-1' && (p as { value: { kind: string } }).value.kind === 'end');
    const kinds = pair.notifications
      .filter((n) => n.method === '$/progress' && (n.params as { token: string }).token === 'list-1')
      .map((n) => (n.params as { value: { kind: string; title?: string } }).value);
    assert.deepEqual(kinds.map((v) => v.kind), ['begin', 'end']);
    assert.ok(kinds[0]?.title, 'the begin has a title');
    assert.ok(end);
  });

  it('reports begin and end for a quick request with a workDoneToken, and strips the token from the params', async () => {
    const info = await pair.client.sendRequest(ServerInfoRequest.method, { workDoneToken: 7 });
    assert.equal((info as { pid: number }).pid, process.pid);
    await pair.waitForNotification('$/progress', (p) => (p as { token: number; value: { kind: string } }).token === 7 && (p as { value: { kind: string } }).value.kind === 'end');
    const kinds = pair.notifications.filter((n) => n.method === '$/progress' && (n.params as { token: number }).token === 7).map((n) => (n.params as { value: { kind: string } }).value.kind);
    assert.deepEqual(kinds, ['begin', 'end']);
  });

  it('answers a request cancelled right behind its own frame with Cancelled', async () => {
    const source = new CancellationTokenSource();
    const pending = pair.client.sendRequest(ListWorkloadsRequest.type, { all: true }, source.token);
    source.cancel();
    await assert.rejects(pending, (error: unknown) => {
      assert.ok(error instanceof ResponseError);
      assert.equal(error.code, ErrorCodes.Cancelled);
      return true;
    });
  });
});

describe('RPC: an unreachable engine is reported', () => {
  const isStatus = (endpoint: string) => (p: unknown) => (p as EngineStatus).endpoint === endpoint;

  it('sends didChangeStatus reachable:false with the endpoint and the error after initialize', async () => {
    const pair = startRpcPair();
    try {
      const endpoint = nowhere('status');
      await pair.initialize({ dockerHost: endpoint });
      const n = await pair.waitForNotification(EngineStatusNotification.method, isStatus(endpoint));
      const status = n.params as EngineStatus;
      assert.equal(status.reachable, false);
      assert.equal(status.endpointSource, 'setting');
      assert.match(status.error ?? '', /ENOENT/);
      assert.match(status.error ?? '', /nonexistent/);

      // A request that needs the engine fails with EngineUnreachable naming the endpoint.
      await assert.rejects(pair.client.sendRequest(ListWorkloadsRequest.type, { all: true }), (error: unknown) => {
        assert.ok(error instanceof ResponseError);
        assert.equal(error.code, ErrorCodes.EngineUnreachable);
        assert.ok(error.message.includes(endpoint.replace('unix://', '')), error.message);
        return true;
      });

      // A new endpoint from the settings is checked and reported at once.
      const next = nowhere('status-2');
      await pair.client.sendNotification(SettingsChangedNotification.type, { dockerHost: next });
      const second = await pair.waitForNotification(EngineStatusNotification.method, isStatus(next));
      assert.equal((second.params as EngineStatus).reachable, false);
    } finally {
      pair.dispose();
    }
  });

  it('reports DOCKER_HOST as the source and an invalid endpoint as unreachable with its reason', async () => {
    const endpoint = nowhere('env');
    const pair = startRpcPair({ env: { DOCKER_HOST: endpoint } });
    try {
      await pair.initialize({});
      const n = await pair.waitForNotification(EngineStatusNotification.method, isStatus(endpoint));
      assert.equal((n.params as EngineStatus).endpointSource, 'DOCKER_HOST');
      assert.equal((n.params as EngineStatus).reachable, false);

      await pair.client.sendNotification(SettingsChangedNotification.type, { dockerHost: 'ftp://engine.invalid' });
      const bad = await pair.waitForNotification(EngineStatusNotification.method, isStatus('ftp://engine.invalid'));
      assert.equal((bad.params as EngineStatus).reachable, false);
      assert.match((bad.params as EngineStatus).error ?? '', /ftp/);
      await assert.rejects(pair.client.sendRequest(ListWorkloadsRequest.type, {}), (error: unknown) => {
        assert.ok(error instanceof ResponseError);
        assert.equal(error.code, ErrorCodes.Rejected);
        assert.match(error.message, /ftp:\/\/engine\.invalid/);
        return true;
      });
    } finally {
      pair.dispose();
    }
  });

  it('keeps reporting while a view watches and the stream cannot connect', async () => {
    const endpoint = nowhere('watch');
    const pair = startRpcPair({ watch: { initialBackoffMs: 5, maxBackoffMs: 20 } });
    try {
      await pair.initialize({ dockerHost: endpoint });
      await pair.client.sendNotification(WatchWorkloadsNotification.type, { visible: true });
      // Becoming visible asks the client to re-list once; the failing stream does not flood it.
      await pair.waitForNotification('berth/workloads/didChange', (p) => (p as { reason: string }).reason === 'reconnect');
      const n = await pair.waitForNotification(EngineStatusNotification.method, isStatus(endpoint));
      assert.equal((n.params as EngineStatus).reachable, false);
      // Each failed attempt is logged to the client; wait for several.
      const lost = (p: unknown) => /Engine event stream lost/.test((p as { message?: string }).message ?? '');
      await pair.waitForNotification('window/logMessage', () => pair.notifications.filter((x) => x.method === 'window/logMessage' && lost(x.params)).length >= 5);
      await pair.client.sendNotification(WatchWorkloadsNotification.type, { visible: false });
      // The status checks those attempts started have settled once the server answers this.
      await pair.client.sendRequest(EngineStatusRequest.type, undefined);
      // Published only on change: many failed reconnects still give one notification.
      const statuses = pair.notifications.filter((x) => x.method === EngineStatusNotification.method && isStatus(endpoint)(x.params));
      assert.equal(statuses.length, 1);
    } finally {
      pair.dispose();
    }
  });
});

describe('RPC: the bundled backend as its own process', () => {
  it('answers every malformed JSON-RPC message with InvalidRequest (-32600) and keeps serving', async () => {
    const server = join(resolve(__dirname, '..', '..', '..'), 'dist', 'server.js');
    assert.ok(existsSync(server), 'dist/server.js is missing: run `node esbuild.mjs` first');
    const child = spawn(process.execPath, [server, '--stdio'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: nowhere('malformed-frames') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const seen: ResponseMessage[] = [];
    const reader = new StreamMessageReader(child.stdout);
    reader.listen((message) => {
      if ((message as { method?: unknown }).method === undefined) seen.push(message as ResponseMessage);
    });
    const send = (json: string) => child.stdin.write(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    const frame = (message: unknown) => send(JSON.stringify(message));
    // A hang guard, not a timing assertion: without an answer the test would wait forever.
    const deadline = Date.now() + 60_000;
    const answerTo = async (id: string | number): Promise<ResponseMessage> => {
      for (;;) {
        const found = seen.find((m) => m.id === id);
        if (found) return found;
        if (child.exitCode !== null) assert.fail(`the backend exited (${child.exitCode}) before answering ${id}`);
        if (Date.now() > deadline) assert.fail(`no answer to ${id}; answers so far: ${JSON.stringify(seen).slice(0, 2000)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    try {
      frame({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
      await answerTo('init');
      const withId: [string | number, unknown][] = [
        ['method-number', { method: 12 }],
        ['method-null', { method: null }],
        ['method-object', { method: { name: ServerInfoRequest.method } }],
        ['params-string', { method: ServerInfoRequest.method, params: 'text' }],
        ['params-number', { method: ListWorkloadsRequest.method, params: 42 }],
        ['params-boolean', { method: ListWorkloadsRequest.method, params: true }],
        ['nothing', {}],
        // 8 MiB in one frame: answered without echoing it back.
        ['huge', { method: 12, params: { big: 'x'.repeat(8 * 1024 * 1024) } }],
      ];
      for (const [id, rest] of withId) frame({ jsonrpc: '2.0', id, ...(rest as object) });
      // Messages whose id cannot be used: the answer carries id null (JSON-RPC 2.0, section 5).
      const withoutId = [
        JSON.stringify({ jsonrpc: '2.0', id: { x: 1 }, method: ServerInfoRequest.method }),
        JSON.stringify({ jsonrpc: '2.0', id: true, method: ServerInfoRequest.method }),
        JSON.stringify({ jsonrpc: '2.0', id: [1], method: ServerInfoRequest.method }),
        JSON.stringify({ jsonrpc: '2.0', method: 12 }),
        '[1,2]',
        '42',
        '"text"',
        'null',
      ];
      for (const json of withoutId) send(json);
      frame({ jsonrpc: '2.0', id: 'after', method: ServerInfoRequest.method });
      const after = await answerTo('after');
      assert.equal((after.result as { pid: number }).pid, child.pid, 'still serving after the junk');
      for (const [id] of withId) {
        const answer = await answerTo(id);
        assert.equal(answer.error?.code, -32600, `${id}: ${JSON.stringify(answer)}`);
        assert.ok((answer.error?.message.length ?? 0) < 300, `${id}: the answer does not echo the message`);
      }
      const anonymous = seen.filter((m) => m.id === null);
      assert.equal(anonymous.length, withoutId.length, JSON.stringify(anonymous));
      for (const answer of anonymous) assert.equal(answer.error?.code, -32600);
      frame({ jsonrpc: '2.0', id: 'shutdown', method: 'shutdown' });
      await answerTo('shutdown');
      frame({ jsonrpc: '2.0', method: 'exit' });
      assert.equal(await exited, 0);
    } finally {
      reader.dispose();
      child.kill();
    }
  });

  it('serves over stdio, writes nothing else to stdout, and exits 0 after shutdown and exit', async () => {
    const server = join(resolve(__dirname, '..', '..', '..'), 'dist', 'server.js');
    assert.ok(existsSync(server), 'dist/server.js is missing: run `node esbuild.mjs` first');
    const child = spawn(process.execPath, [server, '--stdio'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: nowhere('process') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const readErrors: Error[] = [];
    const reader = new StreamMessageReader(child.stdout);
    // Anything on stdout that is not a protocol frame breaks the reader.
    reader.onError((error) => readErrors.push(error));
    const client = createMessageConnection(reader, new StreamMessageWriter(child.stdin));
    const statuses: EngineStatus[] = [];
    client.onNotification(EngineStatusNotification.type, (status) => statuses.push(status));
    client.listen();
    try {
      await client.sendRequest('initialize', { processId: null, rootUri: null, capabilities: {}, initializationOptions: {} });
      await client.sendNotification('initialized', {});
      const info = await client.sendRequest(ServerInfoRequest.type, undefined);
      assert.notEqual(info.pid, process.pid, 'a separate process');
      assert.equal(info.pid, child.pid);
      assert.ok(info.readyMs > 0);
      const bad = await client.sendRequest(ListWorkloadsRequest.method, { all: 'yes' }).then(() => undefined, (error: unknown) => error);
      assert.ok(bad instanceof ResponseError && bad.code === ErrorCodes.InvalidParams);
      await client.sendRequest('shutdown');
      await client.sendNotification('exit');
      assert.equal(await exited, 0);
      assert.deepEqual(readErrors, []);
      assert.ok(statuses.every((s) => !s.reachable && s.endpoint === nowhere('process')));
    } finally {
      client.dispose();
      child.kill();
    }
  });
});
