import type { Readable } from 'node:stream';
import type { WorkloadsChangedParams } from '../../../protocol/src';

export interface EventWatcherOptions {
  /** Opens the engine's container event stream. */
  readonly subscribe: (signal: AbortSignal) => Promise<Readable>;
  /** A cheap fingerprint of the workload list for the fallback poll; changes mean "re-list". */
  readonly fingerprint: (signal: AbortSignal) => Promise<string>;
  readonly onChange: (reason: WorkloadsChangedParams['reason']) => void;
  /** Told whether the stream is connected, so the engine status can follow it. */
  readonly onConnection?: (connected: boolean, error?: unknown) => void;
  readonly debounceMs?: number;
  readonly pollMs?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/**
 * Follows the engine's event stream while a view is visible: debounces bursts into one change
 * notification, reconnects with exponential backoff, and polls slowly behind it in case events
 * are lost. Each reconnect destroys the previous stream and aborts its request first, so
 * sockets and file descriptors do not pile up.
 */
export class EventWatcher {
  private visible = false;
  private stream: Readable | undefined;
  private connection: AbortController | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private lastFingerprint: string | undefined;
  private hadFailure = false;
  private disposed = false;
  /** How many streams have been opened; tests use it to prove reconnects happen. */
  connects = 0;

  constructor(private readonly options: EventWatcherOptions) {
    this.backoffMs = options.initialBackoffMs ?? 500;
  }

  get isConnected(): boolean {
    return this.stream !== undefined;
  }

  setVisible(visible: boolean): void {
    if (this.disposed || visible === this.visible) return;
    this.visible = visible;
    if (visible) {
      this.backoffMs = this.options.initialBackoffMs ?? 500;
      void this.connect();
      this.startPolling();
      // Whatever happened while hidden was not followed: re-list once.
      this.options.onChange('reconnect');
    } else {
      this.teardown();
    }
  }

  /** Drops the current stream and connects anew, for example after the endpoint changed. */
  restart(): void {
    if (!this.visible) return;
    this.visible = false;
    this.teardown();
    this.setVisible(true);
  }

  dispose(): void {
    this.disposed = true;
    this.visible = false;
    this.teardown();
  }

  private async connect(): Promise<void> {
    this.closeStream();
    if (!this.visible || this.disposed) return;
    const connection = new AbortController();
    this.connection = connection;
    let stream: Readable;
    try {
      stream = await this.options.subscribe(connection.signal);
    } catch (error) {
      if (connection.signal.aborted) return;
      this.connection = undefined;
      this.hadFailure = true;
      this.options.onConnection?.(false, error);
      this.scheduleReconnect();
      return;
    }
    if (connection.signal.aborted || !this.visible) {
      stream.destroy();
      return;
    }
    this.connects++;
    this.stream = stream;
    this.options.onConnection?.(true);
    if (this.hadFailure) {
      this.hadFailure = false;
      this.options.onChange('reconnect');
    }
    this.backoffMs = this.options.initialBackoffMs ?? 500;
    stream.on('data', () => this.scheduleChange());
    const lost = (error?: unknown) => {
      if (this.stream !== stream) return;
      this.closeStream();
      if (!this.visible || this.disposed) return;
      this.hadFailure = true;
      this.options.onConnection?.(false, error);
      this.scheduleReconnect();
    };
    stream.once('error', lost);
    stream.once('end', () => lost());
    stream.once('close', () => lost());
  }

  private scheduleChange(): void {
    if (this.debounceTimer) return;
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      this.options.onChange('event');
    }, this.options.debounceMs ?? 150);
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || !this.visible || this.disposed) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 30_000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
  }

  private startPolling(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => void this.poll(), this.options.pollMs ?? 30_000);
    this.pollTimer.unref?.();
  }

  private async poll(): Promise<void> {
    if (!this.visible) return;
    try {
      const fingerprint = await this.options.fingerprint(AbortSignal.timeout(10_000));
      if (this.lastFingerprint !== undefined && fingerprint !== this.lastFingerprint) this.options.onChange('poll');
      this.lastFingerprint = fingerprint;
    } catch {
      // The stream's reconnect loop reports unreachability; the poll only catches lost events.
    }
  }

  private closeStream(): void {
    const stream = this.stream;
    this.stream = undefined;
    this.connection?.abort();
    this.connection = undefined;
    stream?.destroy();
  }

  private teardown(): void {
    this.closeStream();
    for (const timer of [this.debounceTimer, this.reconnectTimer]) if (timer) clearTimeout(timer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.debounceTimer = this.reconnectTimer = this.pollTimer = undefined;
  }
}
