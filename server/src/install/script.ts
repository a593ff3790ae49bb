import { Writable } from 'node:stream';
import { isPluginScriptStep, type PluginScriptStep } from '../../../protocol/src';
import PLUGIN_SCRIPT from './plugin.sh';

export { PLUGIN_SCRIPT };

/** The in-container script's operations (server/src/install/plugin.sh). */
export type ScriptOp = 'install' | 'rollback' | 'remove' | 'sweep' | 'list';

/** The script's exit codes; see the header of plugin.sh. */
export const ScriptExit = {
  Done: 0,
  Usage: 2,
  NoTar: 3,
  NotFound: 4,
  RolledBack: 10,
  RollbackFailed: 11,
  MarkerFailed: 12,
  Conflict: 13,
} as const;

export type ScriptEvent =
  | { readonly kind: 'hello' }
  | { readonly kind: 'step'; readonly step: PluginScriptStep }
  | { readonly kind: 'ok'; readonly step: PluginScriptStep }
  | { readonly kind: 'info'; readonly key: string; readonly value: string }
  | { readonly kind: 'warn'; readonly text: string }
  | { readonly kind: 'fail'; readonly step: string; readonly text: string }
  | { readonly kind: 'rollback'; readonly text: string }
  | { readonly kind: 'rollbackFail'; readonly text: string }
  | { readonly kind: 'recovered'; readonly name: string; readonly how: string }
  | { readonly kind: 'removed'; readonly entry: string }
  | { readonly kind: 'notar' }
  | { readonly kind: 'notfound'; readonly text: string }
  | { readonly kind: 'conflict'; readonly text: string }
  | { readonly kind: 'root'; readonly present: boolean }
  | { readonly kind: 'live'; readonly name: string; readonly complete: boolean; readonly marker?: string }
  | { readonly kind: 'prev'; readonly name: string; readonly stamp: string; readonly complete: boolean; readonly marker?: string }
  | { readonly kind: 'staging'; readonly entry: string }
  | { readonly kind: 'junk'; readonly where: string }
  | { readonly kind: 'crash'; readonly step: string }
  | { readonly kind: 'done' }
  | { readonly kind: 'other'; readonly line: string };

/** `sh -c <script> berth <op> <root> <args…>`: the script text travels in the exec's argv. */
export function scriptCommand(op: ScriptOp, root: string, args: readonly string[] = []): string[] {
  return ['sh', '-c', PLUGIN_SCRIPT, 'berth', op, root, ...args];
}

/**
 * The script's environment: the crash seam (BERTH_CRASH_AT, so the script SIGKILLs itself at the
 * same step as the backend) and the fault seam for tests (BERTH_FAULT_AT). With
 * BERTH_CRASH_SKIP set the backend alone counts repetitions, so the script gets no crash list.
 */
export function scriptEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const skip = Number(env.BERTH_CRASH_SKIP ?? '0');
  const crash = skip > 0 ? '' : (env.BERTH_CRASH_AT ?? '');
  return [`BERTH_CRASH_AT=${oneLine(crash)}`, `BERTH_FAULT_AT=${oneLine(env.BERTH_FAULT_AT ?? '')}`];
}

function oneLine(value: string): string {
  return value.replace(/[\r\n\0]/g, '');
}

export function parseLine(line: string): ScriptEvent {
  const space = line.indexOf(' ');
  const word = space < 0 ? line : line.slice(0, space);
  const rest = space < 0 ? '' : line.slice(space + 1);
  const [first = '', ...others] = rest.split(' ');
  const tail = others.join(' ');
  switch (word) {
    case 'BERTH':
      return { kind: 'hello' };
    // A step the backend does not know cannot be a crash seam or a progress phase: the script
    // and protocol/src/steps.ts disagree (a unit test compares them), so it is passed on as text.
    case 'STEP':
      return isPluginScriptStep(rest) ? { kind: 'step', step: rest } : { kind: 'other', line };
    case 'OK':
      return isPluginScriptStep(rest) ? { kind: 'ok', step: rest } : { kind: 'other', line };
    case 'INFO':
      return { kind: 'info', key: first, value: tail };
    case 'WARN':
      return { kind: 'warn', text: rest };
    case 'FAIL':
      return { kind: 'fail', step: first, text: tail };
    case 'ROLLBACK':
      return { kind: 'rollback', text: rest };
    case 'ROLLBACKFAIL':
      return { kind: 'rollbackFail', text: rest };
    case 'RECOVERED':
      return { kind: 'recovered', name: first, how: tail };
    case 'REMOVED':
      return { kind: 'removed', entry: rest };
    case 'NOTAR':
      return { kind: 'notar' };
    case 'NOTFOUND':
      return { kind: 'notfound', text: rest };
    case 'CONFLICT':
      return { kind: 'conflict', text: rest };
    case 'ROOT':
      return { kind: 'root', present: rest === 'present' };
    case 'LIVE': {
      const [name = '', state = '', ...marker] = rest.split(' ');
      const m = marker.join(' ');
      return { kind: 'live', name, complete: state === 'complete', ...(m ? { marker: m } : {}) };
    }
    case 'PREV': {
      const [name = '', stamp = '', state = '', ...marker] = rest.split(' ');
      const m = marker.join(' ');
      return { kind: 'prev', name, stamp, complete: state === 'complete', ...(m ? { marker: m } : {}) };
    }
    case 'STAGING':
      return { kind: 'staging', entry: rest };
    case 'JUNK':
      return { kind: 'junk', where: rest };
    case 'CRASH':
      return { kind: 'crash', step: rest };
    case 'DONE':
      return { kind: 'done' };
    default:
      return { kind: 'other', line };
  }
}

const MAX_LINE = 64 * 1024;

/** Receives the script's stdout, splits it into lines and hands each parsed event on at once. */
export class ScriptOutput extends Writable {
  readonly events: ScriptEvent[] = [];
  private pending = '';

  constructor(private readonly onEvent: (event: ScriptEvent) => void = () => undefined) {
    super({ decodeStrings: true });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.pending += chunk.toString('utf8');
    let newline = this.pending.indexOf('\n');
    while (newline >= 0) {
      this.emitLine(this.pending.slice(0, newline));
      this.pending = this.pending.slice(newline + 1);
      newline = this.pending.indexOf('\n');
    }
    if (this.pending.length > MAX_LINE) this.pending = this.pending.slice(0, MAX_LINE);
    done();
  }

  /** Hands on a last line that had no newline (the exec ended). */
  flushPending(): void {
    if (this.pending !== '') this.emitLine(this.pending);
    this.pending = '';
  }

  has(kind: ScriptEvent['kind']): boolean {
    return this.events.some((e) => e.kind === kind);
  }

  private emitLine(line: string): void {
    const event = parseLine(line.replace(/\r$/, ''));
    this.events.push(event);
    this.onEvent(event);
  }
}
