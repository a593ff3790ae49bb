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
  /** How long opening the stream may take before it counts as failed (an engine that accepts but never answers). */
  readonly subscribeTimeoutMs?: number;
}

const DEFAULTS = { debounceMs: 150, pollMs: 30_000, initialBackoffMs: 500, maxBackoffMs: 30_000, subscribeTimeoutMs: 10_000 };

/**
 * Follows the engine's event stream while a view is visible: debounces bursts into one change
 * notification, reconnects with exponential backoff, and polls slowly behind it in case events
 * are lost. Each reconnect aborts the previous request and destroys its stream first, so
 * sockets and file descriptors do not pile up; while hidden nothing is subscribed or polled.
 */
export class EventWatcher {
  private visible = false;
  private stream: Readable | undefined;
  /** Aborts the current subscription attempt or stream request. */
  private connection: AbortController | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private poller: AbortController | undefined;
  private backoffMs: number;
  private lastFingerprint: string | undefined;
  private hadFailure = false;
  private disposed = false;
  private readonly settings: typeof DEFAULTS;
  /** How many streams have been opened; tests use it to prove reconnects happen. */
  connects = 0;

  constructor(private readonly options: EventWatcherOptions) {
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => typeof v === 'number')) as Partial<typeof DEFAULTS>;
    this.settings = { ...DEFAULTS, ...defined };
    this.backoffMs = this.settings.initialBackoffMs;
  }

  get isConnected(): boolean {
    return this.stream !== undefined;
  }

  setVisible(visible: boolean): void {
    if (this.disposed || visible === this.visible) return;
    this.visible = visible;
    if (visible) {
      this.backoffMs = this.settings.initialBackoffMs;
      this.hadFailure = false;
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
    if (!this.visible || this.disposed) return;
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
      stream = await this.withTimeout(this.options.subscribe(connection.signal), connection);
    } catch (error) {
      if (this.connection !== connection) return;
      this.connection = undefined;
      connection.abort();
      this.failed(error);
      return;
    }
    if (this.connection !== connection || !this.visible || this.disposed) {
      stream.destroy();
      return;
    }
    this.connects++;
    this.stream = stream;
    this.backoffMs = this.settings.initialBackoffMs;
    const lost = (error?: unknown) => {
      if (this.stream !== stream) return;
      this.closeStream();
      if (!this.visible || this.disposed) return;
      this.failed(error);
    };
    // Stays attached after the stream is dropped: a destroyed response can still emit an error,
    // and an 'error' without a listener would kill the process.
    stream.on('error', (error) => lost(error));
    stream.on('data', () => this.scheduleChange());
    stream.once('end', () => lost());
    stream.once('close', () => lost());
    this.options.onConnection?.(true);
    if (this.hadFailure) {
      this.hadFailure = false;
      // Events may have been missed while disconnected.
      this.options.onChange('reconnect');
    }
  }

  /** Subscribing may hang (an endpoint that accepts and never answers); then it counts as failed. */
  private withTimeout(subscribing: Promise<Readable>, connection: AbortController): Promise<Readable> {
    return new Promise<Readable>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`The engine did not open its event stream within ${this.settings.subscribeTimeoutMs} ms`));
        connection.abort();
      }, this.settings.subscribeTimeoutMs);
      // Hidden or restarted meanwhile: stop waiting now rather than holding the timer.
      const onAbort = () => {
        clearTimeout(timer);
        reject(new Error('The subscription was dropped'));
      };
      connection.signal.addEventListener('abort', onAbort, { once: true });
      subscribing.then(
        (stream) => {
          clearTimeout(timer);
          connection.signal.removeEventListener('abort', onAbort);
          // Too late: the attempt was already given up, so this stream has no owner.
          if (connection.signal.aborted) stream.destroy();
          resolve(stream);
        },
        (error: unknown) => {
          clearTimeout(timer);
          connection.signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  private failed(error: unknown): void {
    this.hadFailure = true;
    this.options.onConnection?.(false, error);
    this.scheduleReconnect();
  }

  private scheduleChange(): void {
    if (this.debounceTimer) return;
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      if (this.visible && !this.disposed) this.options.onChange('event');
    }, this.settings.debounceMs);
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || !this.visible || this.disposed) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.settings.maxBackoffMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
  }

  private startPolling(): void {
    if (this.pollTimer) return;
    this.lastFingerprint = undefined;
    // The first poll records the baseline that later polls compare against.
    void this.poll();
    this.pollTimer = setInterval(() => void this.poll(), this.settings.pollMs);
    this.pollTimer.unref?.();
  }

  private async poll(): Promise<void> {
    if (!this.visible || this.disposed || this.poller) return;
    const poller = new AbortController();
    this.poller = poller;
    const timeout = setTimeout(() => poller.abort(), 10_000);
    timeout.unref?.();
    try {
      const fingerprint = await this.options.fingerprint(poller.signal);
      if (poller.signal.aborted || !this.visible) return;
      if (this.lastFingerprint !== undefined && fingerprint !== this.lastFingerprint) this.options.onChange('poll');
      this.lastFingerprint = fingerprint;
    } catch {
      // The stream's reconnect loop reports unreachability; the poll only catches lost events.
    } finally {
      clearTimeout(timeout);
      if (this.poller === poller) this.poller = undefined;
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
    this.poller?.abort();
    this.poller = undefined;
    for (const timer of [this.debounceTimer, this.reconnectTimer]) if (timer) clearTimeout(timer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.debounceTimer = this.reconnectTimer = this.pollTimer = undefined;
    this.lastFingerprint = undefined;
  }
}
