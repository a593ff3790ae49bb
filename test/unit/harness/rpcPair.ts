// The real backend server over in-memory streams, as vscode-languageserver-node's own tests run
// theirs: the server side is `createConnection(reader, writer)` from vscode-languageserver/node,
// the client side a plain vscode-jsonrpc MessageConnection. A tap on the server→client stream
// sees every message the server sends, including answers to raw frames the client never sent.
import { PassThrough } from 'node:stream';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type Logger,
  type Message,
  type MessageConnection,
  type NotificationMessage,
  type ResponseMessage,
} from 'vscode-jsonrpc/node';
import { createConnection, InitializedNotification, InitializeRequest, type InitializeResult } from 'vscode-languageserver/node';
import type { BerthInitializationOptions } from '../../../protocol/src';
import { guardReader } from '../../../server/src/rpcGuard';
import { startServer, type ServerHandle, type StartServerOptions } from '../../../server/src/server';

export interface RpcPair {
  readonly client: MessageConnection;
  readonly server: ServerHandle;
  /** Every notification the server sent, in order. */
  readonly notifications: NotificationMessage[];
  /** Sends `initialize` (no parent process watch) and `initialized`. */
  initialize(options?: BerthInitializationOptions): Promise<InitializeResult>;
  /** Writes one request frame exactly as given and waits for the server's answer to its id. */
  raw(message: { id: string | number; method: string; params?: unknown } & Record<string, unknown>): Promise<ResponseMessage>;
  /** Writes bytes to the server as they are (broken frames, bad JSON). */
  rawBytes(bytes: string): void;
  /** Resolves with the first notification (already sent or still to come) that matches. */
  waitForNotification(method: string, match?: (params: unknown) => boolean, timeoutMs?: number): Promise<NotificationMessage>;
  dispose(): void;
}

const quiet: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, log: () => undefined };

export interface RpcPairOptions {
  /**
   * Decode everything the server sends a second time for `notifications` and `raw` (default
   * true). Benchmarks turn it off: the extension's client decodes each message once.
   */
  readonly tap?: boolean;
}

export function startRpcPair(options: StartServerOptions = {}, pairOptions: RpcPairOptions = {}): RpcPair {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  // The same guard as the real process's transport (server/src/transport.ts).
  const serverWriter = new StreamMessageWriter(toClient);
  const server = startServer(createConnection(guardReader(new StreamMessageReader(toServer), serverWriter), serverWriter), options);
  // The client logs answers to raw frames as "unknown id"; they are expected here.
  const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer), quiet);
  client.listen();

  const notifications: NotificationMessage[] = [];
  const responses = new Map<string | number, ResponseMessage>();
  const waiters = new Set<() => void>();
  const tap = pairOptions.tap === false ? undefined : new StreamMessageReader(toClient);
  tap?.listen((message: Message) => {
    const m = message as Partial<ResponseMessage & NotificationMessage>;
    if (typeof m.method === 'string' && m.id === undefined) notifications.push(message as NotificationMessage);
    else if (m.id !== undefined && m.id !== null && m.method === undefined) responses.set(m.id, message as ResponseMessage);
    for (const wake of [...waiters]) wake();
  });

  const until = <T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const found = find();
      if (found !== undefined) return resolve(found);
      const timer = setTimeout(() => {
        waiters.delete(wake);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const wake = () => {
        const value = find();
        if (value === undefined) return;
        clearTimeout(timer);
        waiters.delete(wake);
        resolve(value);
      };
      waiters.add(wake);
    });

  const frame = (json: string) => `Content-Length: ${Buffer.byteLength(json, 'utf8')}\r\n\r\n${json}`;

  return {
    client,
    server,
    notifications,
    async initialize(initializationOptions = {}) {
      const result = await client.sendRequest(InitializeRequest.type, {
        processId: null,
        rootUri: null,
        capabilities: { window: { workDoneProgress: true } },
        initializationOptions,
      });
      await client.sendNotification(InitializedNotification.type, {});
      return result;
    },
    raw(message) {
      toServer.write(frame(JSON.stringify({ jsonrpc: '2.0', ...message })));
      return until(() => responses.get(message.id), 10_000, `the answer to ${message.method} (id ${String(message.id)})`);
    },
    rawBytes(bytes) {
      toServer.write(bytes);
    },
    waitForNotification(method, match = () => true, timeoutMs = 10_000) {
      return until(() => notifications.find((n) => n.method === method && match(n.params)), timeoutMs, `a ${method} notification`);
    },
    dispose() {
      server.dispose();
      client.dispose();
      tap?.dispose();
      toServer.end();
      toClient.end();
    },
  };
}
