import type { Writable } from 'node:stream';
import type { ExitCode } from '../../protocol/src';
import type { Backend } from '../../server/src/backend';
import type { OperationContext } from '../../server/src/operation';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Raw stdout for byte-exact output (a patch); commands that need it fail without it. */
  readonly stdout?: Writable;
}

export interface OptionSpec {
  readonly type: 'boolean' | 'string';
  readonly description: string;
}

/** One `berth <resource> <verb>` command: argument shape, the work, and how to print it. */
export interface CommandSpec<R = unknown> {
  readonly resource: string;
  /** Empty for a one-word command (`berth recover`). */
  readonly verb: string;
  /** For example `<workload> <folder>`. */
  readonly args: string;
  readonly summary: string;
  readonly positionals: { readonly min: number; readonly max: number };
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** Changes workloads: what the start-up recovery deferred is finished first (docs/restore.md). */
  readonly touchesWorkloads?: boolean;
  run(input: CommandInput, backend: Backend, ctx: OperationContext): Promise<R>;
  /** Human output for the result; --json prints the result itself instead. */
  print(result: R, io: CliIo): void;
  /** The exit code for a result that is printed but not a success (default 0). */
  exitCode?(result: R): ExitCode;
}

export interface CommandInput {
  readonly positionals: readonly string[];
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
  /** For commands that write raw bytes (a patch) while they run. */
  readonly io?: CliIo;
}
