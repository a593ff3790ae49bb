// The exec and stream plumbing behind Engine.exec and Engine.execSession: starting a process in
// a container, streaming stdin into it with backpressure, splitting its multiplexed output, and
// waiting for its exit code. engine.ts wraps each call in its error classification; nothing
// outside engine/ calls these.
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { Demultiplexer } from './execDemux';

export interface ExecOptions {
  readonly cmd: readonly string[];
  readonly env?: readonly string[];
  readonly user?: string;
  readonly workingDir?: string;
  /** Streamed to the process's stdin, which is closed when it ends. */
  readonly stdin?: Readable;
  /** Receives stdout as it arrives; otherwise stdout is collected (up to maxOutputBytes). */
  readonly stdout?: Writable;
  /** Receives stderr as it arrives; otherwise stderr is collected (up to maxOutputBytes). */
  readonly stderr?: Writable;
  readonly signal?: AbortSignal;
  /** Cap on collected stdout/stderr each; more is dropped and `truncated` set. Default 4 MiB. */
  readonly maxOutputBytes?: number;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly truncated: boolean;
}

export interface ExecSession {
  /** Writes to the process's stdin (ignored once the connection has closed). */
  write(text: string): void;
  /** Closes stdin. */
  end(): void;
  destroy(): void;
  /** Resolves when the connection closes. */
  readonly ended: Promise<void>;
  stderr(): string;
}

/**
 * Runs a command in a running container and waits for it to exit. stdin, when given, is
 * streamed (never buffered) and closed at its end, so one exec can receive a whole tar.
 */
export async function runExec(container: Docker.Container, options: ExecOptions): Promise<ExecResult> {
  const exec = await container.exec({
    Cmd: [...options.cmd],
    AttachStdin: options.stdin !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    ...(options.env ? { Env: [...options.env] } : {}),
    ...(options.user ? { User: options.user } : {}),
    ...(options.workingDir ? { WorkingDir: options.workingDir } : {}),
    abortSignal: options.signal,
  } as Docker.ExecCreateOptions);
  const stream = (await exec.start({ hijack: true, stdin: options.stdin !== undefined, abortSignal: options.signal } as Docker.ExecStartOptions)) as unknown as NodeJS.ReadWriteStream & { destroy(): void };
  const limit = options.maxOutputBytes ?? 4 * 1024 * 1024;
  const stdoutCollector = new Collector(limit);
  const stderrCollector = new Collector(limit);
  const stdout = options.stdout ?? stdoutCollector;
  const onAbort = () => stream.destroy();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let stdinError: unknown;
  let streamError: unknown;
  try {
    // Our own demultiplexer instead of modem.demuxStream, which ignores backpressure: a
    // patch or archive streamed to a slower sink must not pile up in memory.
    const demux = new Demultiplexer(stdout, options.stderr ?? stderrCollector);
    const finished = new Promise<void>((resolve, reject) => {
      demux.once('finish', resolve);
      // A failing sink (disk full) must also cut the connection, or the process in the
      // container would block forever on a full pipe.
      demux.once('error', (error) => {
        stream.destroy();
        reject(error);
      });
      stream.once('error', (error) => {
        // Writing stdin races the process's exit (EPIPE, ECONNRESET): judge by the exec's
        // own state below, not by the socket.
        if (!options.stdin) return reject(error);
        streamError = error;
        if (!demux.writableEnded) demux.end();
      });
      // A destroyed (aborted) or cut connection closes without 'end'; flush what arrived.
      stream.once('close', () => {
        if (!demux.writableEnded) demux.end();
      });
    });
    (stream as unknown as Readable).pipe(demux);
    const stdin = options.stdin;
    if (stdin) {
      // The process may exit before reading all of stdin, and the source may fail: neither
      // may leave this call hanging. A failing source half-closes stdin, so the process sees
      // a truncated input and can clean up; its error is thrown once the process has ended.
      let ended = false;
      void finished.then(() => (ended = true), () => (ended = true));
      const sink = new Writable({
        write: (chunk: Buffer, _enc, done) => {
          if (ended) return done(new Error('the process has exited'));
          if (stream.write(chunk)) return done();
          const onDrain = () => {
            stream.off('drain', onDrain);
            stream.off('close', onDrain);
            done();
          };
          stream.once('drain', onDrain);
          stream.once('close', onDrain);
        },
        final: (done) => {
          stream.end();
          done();
        },
      });
      void pipeline(stdin, sink).catch((error: unknown) => {
        if (ended) return;
        stdinError = error;
        stream.end();
      });
      await finished;
      if (!stdin.readableEnded) stdin.destroy();
    } else {
      await finished;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (options.signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
  if (stdinError !== undefined) throw stdinError;
  // The stream ends when the process exits, a moment before the engine records its exit
  // code: poll soon, then back off (at most about 2 s in all).
  let info = await exec.inspect();
  for (let i = 0; info.Running && i < 100; i++) {
    await new Promise((r) => setTimeout(r, Math.min(20, 2 + i * 2)));
    info = await exec.inspect();
  }
  if (streamError !== undefined && (info.Running || info.ExitCode === null)) throw streamError;
  return {
    exitCode: info.ExitCode ?? -1,
    stdout: stdoutCollector.text(),
    stderr: stderrCollector.text(),
    truncated: stdoutCollector.truncated || stderrCollector.truncated,
  };
}

/**
 * docker-modem's demultiplexer: it hands each frame on synchronously as it arrives (ignoring
 * backpressure), so an interactive session has every reply before its stream's 'end'.
 */
export type DemuxStream = (stream: NodeJS.ReadableStream, stdout: Writable, stderr: Writable) => void;

/**
 * Starts a command with an interactive stdin and returns at once: the caller writes lines to
 * it and reads stdout as it arrives. `ended` resolves (never rejects) when the connection
 * closes, whatever the reason (the process exited, the container was removed), so a caller is
 * never left waiting on a dead process.
 */
export async function openExecSession(container: Docker.Container, cmd: readonly string[], demuxStream: DemuxStream, onStdout: (chunk: Buffer) => void): Promise<ExecSession> {
  const exec = await container.exec({ Cmd: [...cmd], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false });
  const stream = (await exec.start({ hijack: true, stdin: true } as Docker.ExecStartOptions)) as unknown as NodeJS.ReadWriteStream & { destroy(): void; destroyed?: boolean };
  const stderr = new Collector(64 * 1024);
  demuxStream(stream, new Writable({ write: (chunk: Buffer, _e, done) => (onStdout(chunk), done()) }), stderr);
  let closed = false;
  const ended = new Promise<void>((resolve) => {
    const finish = () => {
      closed = true;
      resolve();
    };
    stream.once('end', finish);
    stream.once('close', finish);
    stream.once('error', finish);
  });
  return {
    write: (text: string) => {
      if (!closed) stream.write(text);
    },
    end: () => {
      if (!closed) stream.end();
    },
    destroy: () => stream.destroy(),
    ended,
    stderr: () => stderr.text(),
  };
}

/** Collects a stream's bytes up to a cap (engine output we show or parse, never archives). */
class Collector extends Writable {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly limit: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const room = this.limit - this.size;
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.chunks.push(part);
      this.size += part.length;
    }
    if (chunk.length > room) this.truncated = true;
    done();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
