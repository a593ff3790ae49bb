import type { Log } from '../log';
import type { OperationWorkload } from './busy';
import type { ErrorSummary } from './errors';

/** What the log lines name of an operation. */
export interface LoggedOperation {
  readonly id: number;
  readonly method: string;
  readonly title: string;
  readonly workload: OperationWorkload | undefined;
  elapsedMs(): number;
}

/**
 * An operation's two lines in the Berth log: who started what on which workload, and how it
 * ended, after how long, with what it made. `[operation <n>]` pairs them.
 */
export class OperationLog {
  private readonly prefix: string;

  constructor(
    private readonly log: Log,
    private readonly operation: LoggedOperation,
  ) {
    this.prefix = `[operation ${operation.id}] VS Code`;
  }

  private get what(): string {
    const workload = this.operation.workload;
    return `${this.operation.method}${workload ? ` on ${workload.key}` : ''}`;
  }

  private get elapsed(): string {
    return `${(this.operation.elapsedMs() / 1000).toFixed(1)} s`;
  }

  started(): void {
    this.log.info(`${this.prefix} started ${this.what}: ${this.operation.title}`);
  }

  succeeded(made: string | undefined): void {
    this.log.info(`${this.prefix} finished ${this.what}: succeeded in ${this.elapsed}${made ? `; ${made}` : ''}`);
  }

  cancelled(answer: ErrorSummary): void {
    this.log.info(`${this.prefix} finished ${this.what}: cancelled after ${this.elapsed}: ${answer.message}`);
  }

  failed(error: ErrorSummary): void {
    this.log.error(`${this.prefix} finished ${this.what}: failed after ${this.elapsed}: ${error.name}: ${error.message}`);
  }
}
