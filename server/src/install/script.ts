import { Writable } from 'node:stream';
import { isPluginScriptStep, type PluginScriptStep } from '../../../protocol/src';
import { displayName, nameFromBytes } from '../archive/names';
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
  | { readonly kind: 'recovered'; readonly name: string; readonly how: 'rolled-back' | 'rolled-forward' }
  /** `.staging/<name>` or `.previous/<name>`; the name exactly as its bytes (archive/names.ts form). */
  | { readonly kind: 'removed'; readonly entry: string }
  | { readonly kind: 'notar' }
  | { readonly kind: 'notfound'; readonly text: string }
  | { readonly kind: 'conflict'; readonly text: string }
  | { readonly kind: 'root'; readonly present: boolean }
  | { readonly kind: 'live'; readonly name: string; readonly complete: boolean; readonly marker?: string }
  | { readonly kind: 'prev'; readonly name: string; readonly stamp: string; readonly complete: boolean; readonly marker?: string }
  | { readonly kind: 'staging'; readonly entry: string }
  | { readonly kind: 'junk'; readonly where: 'previous' | 'staging' }
  | { readonly kind: 'crash'; readonly step: PluginScriptStep }
  | { readonly kind: 'done' };

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

/** The protocol version plugin.sh announces in its first record (`BERTH 2`: NUL-framed records). */
export const SCRIPT_PROTOCOL = '2';

/** The fields each keyword carries (plugin.sh header); a record with any other count is an error. */
const ARITY: ReadonlyMap<string, number> = new Map([
  ['BERTH', 1],
  ['STEP', 1],
  ['OK', 1],
  ['INFO', 2],
  ['WARN', 1],
  ['FAIL', 2],
  ['ROLLBACK', 1],
  ['ROLLBACKFAIL', 1],
  ['RECOVERED', 2],
  ['REMOVED', 1],
  ['NOTAR', 0],
  ['NOTFOUND', 1],
  ['CONFLICT', 1],
  ['ROOT', 1],
  ['LIVE', 3],
  ['PREV', 4],
  ['STAGING', 1],
  ['JUNK', 1],
  ['CRASH', 1],
  ['DONE', 0],
]);

/** Longest keyword, and longest field (a tool's message, a marker line, a name: all far shorter). */
const MAX_KEYWORD = 16;
const MAX_FIELD = 64 * 1024;
const STEP_NAME = /^[a-z]+(?:\.[a-z-]+)*$/;
const INFO_KEY = /^[a-z]+$/;

/** A record that breaks the protocol; `ScriptOutput` keeps the first one as its `problem`. */
class ProtocolViolation extends Error {}

/**
 * Turns one record's fields (keyword first, framing already checked) into an event, or throws
 * ProtocolViolation for a value outside the record's vocabulary. Names stay exact (surrogate
 * escapes for bytes that are not UTF-8); texts meant for people get control characters shown
 * as escapes (displayName), so a container's message can neither break a line nor send
 * terminal escape sequences to whoever reads it.
 */
function eventOf(fields: readonly Buffer[]): ScriptEvent {
  const word = (fields[0] ?? Buffer.alloc(0)).toString('latin1');
  const raw = (i: number) => nameFromBytes(fields[i] ?? Buffer.alloc(0));
  const text = (i: number) => displayName(raw(i));
  const step = (i: number) => {
    const value = raw(i);
    if (!STEP_NAME.test(value)) throw new ProtocolViolation(`a ${word} record names no step ("${displayName(value).slice(0, 60)}")`);
    return value;
  };
  const knownStep = (i: number): PluginScriptStep => {
    const value = step(i);
    if (!isPluginScriptStep(value)) throw new ProtocolViolation(`a ${word} record names a step the backend does not know ("${value}")`);
    return value;
  };
  const oneOf = <T extends string>(i: number, allowed: readonly T[]): T => {
    const value = raw(i);
    if (!(allowed as readonly string[]).includes(value)) throw new ProtocolViolation(`a ${word} record holds "${displayName(value).slice(0, 60)}"`);
    return value as T;
  };
  const state = (i: number, markerAt: number) => {
    const complete = oneOf(i, ['complete', 'incomplete'] as const) === 'complete';
    const marker = raw(markerAt);
    if (!complete && marker !== '') throw new ProtocolViolation(`an incomplete ${word} record carries a marker`);
    return { complete, ...(marker !== '' ? { marker } : {}) };
  };
  switch (word) {
    case 'BERTH':
      oneOf(1, [SCRIPT_PROTOCOL]);
      return { kind: 'hello' };
    // A step the backend does not know cannot be a crash seam or a progress phase: the script
    // and protocol/src/steps.ts disagree (a unit test compares them), so the record is a
    // protocol violation, never passed on.
    case 'STEP':
      return { kind: 'step', step: knownStep(1) };
    case 'OK':
      return { kind: 'ok', step: knownStep(1) };
    case 'INFO': {
      const key = raw(1);
      if (!INFO_KEY.test(key)) throw new ProtocolViolation('an INFO record has no key');
      return { kind: 'info', key, value: raw(2) };
    }
    case 'WARN':
      return { kind: 'warn', text: text(1) };
    case 'FAIL':
      return { kind: 'fail', step: step(1), text: text(2) };
    case 'ROLLBACK':
      return { kind: 'rollback', text: text(1) };
    case 'ROLLBACKFAIL':
      return { kind: 'rollbackFail', text: text(1) };
    case 'RECOVERED':
      return { kind: 'recovered', name: raw(1), how: oneOf(2, ['rolled-back', 'rolled-forward'] as const) };
    case 'REMOVED': {
      const entry = raw(1);
      if (!/^\.(?:staging|previous)\/./s.test(entry)) throw new ProtocolViolation('a REMOVED record names no leftover');
      return { kind: 'removed', entry };
    }
    case 'NOTAR':
      return { kind: 'notar' };
    case 'NOTFOUND':
      return { kind: 'notfound', text: text(1) };
    case 'CONFLICT':
      return { kind: 'conflict', text: text(1) };
    case 'ROOT':
      return { kind: 'root', present: oneOf(1, ['present', 'missing'] as const) === 'present' };
    case 'LIVE':
      return { kind: 'live', name: raw(1), ...state(2, 3) };
    case 'PREV':
      return { kind: 'prev', name: raw(1), stamp: raw(2), ...state(3, 4) };
    case 'STAGING':
      return { kind: 'staging', entry: raw(1) };
    case 'JUNK':
      return { kind: 'junk', where: oneOf(1, ['previous', 'staging'] as const) };
    case 'CRASH':
      return { kind: 'crash', step: knownStep(1) };
    case 'DONE':
      return { kind: 'done' };
    default:
      throw new ProtocolViolation(`unknown record "${displayName(word).slice(0, 40)}"`);
  }
}

/**
 * Receives the script's stdout and parses it strictly as plugin.sh's records (see its header),
 * handing each event on as soon as its record is complete. The first record must be `BERTH 2`,
 * and nothing may follow `DONE`. Anything else (an unknown keyword, a wrong field count, a
 * missing newline, bytes after the last record) is a protocol violation: it is kept in
 * `problem`, every later byte is ignored, and the runner turns it into an error. Memory is
 * bounded by the longest field allowed.
 */
export class ScriptOutput extends Writable {
  readonly events: ScriptEvent[] = [];
  /** The first protocol violation, if any. */
  problem: string | undefined;
  private fields: Buffer[] = [];
  private field: Buffer[] = [];
  private fieldBytes = 0;
  private arity = -1;
  private wantNewline = false;

  constructor(private readonly onEvent: (event: ScriptEvent) => void = () => undefined) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.feed(chunk);
    done();
  }

  /** Marks the end of the output: a record cut off in the middle is a violation. */
  finish(): void {
    if (this.problem === undefined && (this.wantNewline || this.fields.length > 0 || this.fieldBytes > 0)) this.violation('the output ends inside a record');
  }

  has(kind: ScriptEvent['kind']): boolean {
    return this.events.some((e) => e.kind === kind);
  }

  private feed(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && this.problem === undefined) {
      if (this.wantNewline) {
        if (chunk[pos] !== 0x0a) return this.violation('a record does not end after its fields');
        pos++;
        this.complete();
        continue;
      }
      const nul = chunk.indexOf(0, pos);
      const end = nul < 0 ? chunk.length : nul;
      this.fieldBytes += end - pos;
      if (this.fieldBytes > (this.fields.length === 0 ? MAX_KEYWORD : MAX_FIELD)) {
        return this.violation(this.fields.length === 0 ? 'output that is not a record' : 'a field is too long');
      }
      if (end > pos) this.field.push(chunk.subarray(pos, end));
      if (nul < 0) return;
      pos = nul + 1;
      this.fields.push(Buffer.concat(this.field));
      this.field = [];
      this.fieldBytes = 0;
      if (this.fields.length === 1) this.keyword((this.fields[0] as Buffer).toString('latin1'));
      if (this.fields.length === this.arity + 1) this.wantNewline = true;
    }
  }

  private keyword(word: string): void {
    const arity = ARITY.get(word);
    if (arity === undefined) return this.violation(`unknown record "${displayName(word).slice(0, 40)}"`);
    if (this.events.length === 0 && word !== 'BERTH') return this.violation('the output does not begin with BERTH');
    if (this.events.at(-1)?.kind === 'done') return this.violation('output after DONE');
    this.arity = arity;
  }

  private complete(): void {
    const fields = this.fields;
    this.fields = [];
    this.wantNewline = false;
    this.arity = -1;
    let event: ScriptEvent;
    try {
      event = eventOf(fields);
    } catch (error) {
      if (error instanceof ProtocolViolation) return this.violation(error.message);
      throw error;
    }
    if (event.kind === 'hello' && this.events.length > 0) return this.violation('a second BERTH record');
    this.events.push(event);
    this.onEvent(event);
  }

  private violation(message: string): void {
    this.problem ??= message;
  }
}
