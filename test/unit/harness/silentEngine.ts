// A real unix socket that accepts connections, reads the HTTP requests sent to it and never
// answers: an engine that hangs. Lets unit tests hold a request in flight without a real engine.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SilentEngine {
  /** `unix:///…/engine.sock`, for the dockerHost setting. */
  readonly url: string;
  /** Every accepted connection with the bytes it sent so far. */
  readonly connections: readonly { readonly socket: Socket; readonly received: () => string }[];
  /** Resolves with the first connection whose request line contains `text`. */
  waitForRequest(text: string, timeoutMs?: number): Promise<Socket>;
  close(): Promise<void>;
}

export async function startSilentEngine(): Promise<SilentEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-silent-'));
  const path = join(dir, 'engine.sock');
  const connections: { socket: Socket; received: () => string }[] = [];
  const wakers = new Set<() => void>();
  const server: Server = createServer((socket) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      for (const wake of [...wakers]) wake();
    });
    // The client hanging up is what these tests look for; it is not an error here.
    socket.on('error', () => undefined);
    connections.push({ socket, received: () => text });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    url: `unix://${path}`,
    connections,
    waitForRequest(needle, timeoutMs = 10_000) {
      return new Promise<Socket>((resolve, reject) => {
        const find = () => connections.find((c) => c.received().includes(needle))?.socket;
        const found = find();
        if (found) return resolve(found);
        const timer = setTimeout(() => {
          wakers.delete(wake);
          reject(new Error(`No request containing ${JSON.stringify(needle)} within ${timeoutMs} ms`));
        }, timeoutMs);
        const wake = () => {
          const socket = find();
          if (!socket) return;
          clearTimeout(timer);
          wakers.delete(wake);
          resolve(socket);
        };
        wakers.add(wake);
      });
    },
    async close() {
      for (const { socket } of connections) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
