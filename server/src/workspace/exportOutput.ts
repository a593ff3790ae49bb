import { Writable } from 'node:stream';

/** What the export script printed before the patch. */
export interface ExportHeader {
  readonly base: string;
  readonly source: 'import' | 'head' | 'explicit' | 'empty';
  readonly record: 'container' | 'state' | undefined;
  readonly head: string | undefined;
  /** `record-missing <id>`: a recorded base that the repo no longer has. */
  readonly warnings: readonly string[];
  /** The raw bytes of `git diff --raw --numstat -z`. */
  readonly list: Buffer;
  /** The raw bytes of `git diff --raw -z` for submodules whose work tree has changes. */
  readonly dirty: Buffer;
}

const MAX_HEADER = 64 * 1024;
/** Names and modes only; a million changed files fit well below this. */
const MAX_LIST = 256 * 1024 * 1024;
const OBJECT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
/** The header's fixed fields, in the order export.sh prints them, and what each may hold. */
const FIXED_FIELDS = ['base', 'source', 'record', 'head'] as const;
const FIXED_VALUE: Readonly<Record<(typeof FIXED_FIELDS)[number], RegExp>> = {
  base: OBJECT_ID,
  source: /^(?:import|head|explicit|empty)$/,
  record: /^(?:container|state|-)$/,
  head: /^(?:[0-9a-f]{40}(?:[0-9a-f]{24})?|-)$/,
};
/** The warnings export.sh prints. */
const WARNING = /^(?:record-missing [0-9a-f]{40}(?:[0-9a-f]{24})?|submodules-unchecked -)$/;

/**
 * Parses the export script's framed stdout (see exportScript.ts) and streams the patch part into
 * `patch` with backpressure. Anything unexpected is remembered, not thrown: the exec's exit code
 * decides what went wrong (a missing `sh` prints the engine's message instead of a header).
 */
export class ExportOutputParser extends Writable {
  private state: 'header' | 'dirty' | 'list' | 'marker' | 'patch' | 'invalid' = 'header';
  private buffered: Buffer = Buffer.alloc(0);
  private listSize = 0;
  private dirtySize = 0;
  private dirty: Buffer = Buffer.alloc(0);
  private dirtySeen = false;
  private readonly fields = new Map<string, string>();
  private readonly warnings: string[] = [];
  private list: Buffer = Buffer.alloc(0);
  private header_: ExportHeader | undefined;
  /** Bytes of patch written to the sink. */
  patchBytes = 0;
  /** Why the output was not understood, for the log. */
  problem: string | undefined;

  constructor(private readonly patch: Writable) {
    super();
  }

  /** The header, once the patch part has begun. */
  get header(): ExportHeader | undefined {
    return this.header_;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.state === 'patch') {
      this.forward(chunk, done);
      return;
    }
    if (this.state === 'invalid') {
      done();
      return;
    }
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    this.parse();
    if (this.inPatch() && this.buffered.length > 0) {
      const rest = this.buffered;
      this.buffered = Buffer.alloc(0);
      this.forward(rest, done);
      return;
    }
    done();
  }

  private inPatch(): boolean {
    return this.state === 'patch';
  }

  private forward(chunk: Buffer, done: (error?: Error | null) => void): void {
    this.patchBytes += chunk.length;
    if (this.patch.destroyed) {
      done(new Error('the patch output was closed'));
      return;
    }
    if (this.patch.write(chunk)) {
      done();
      return;
    }
    const settle = (error?: Error) => {
      this.patch.off('drain', onDrain);
      this.patch.off('close', onClose);
      done(error);
    };
    const onDrain = () => settle();
    const onClose = () => settle(new Error('the patch output was closed'));
    this.patch.once('drain', onDrain);
    this.patch.once('close', onClose);
  }

  private parse(): void {
    for (;;) {
      if (this.state === 'header' || this.state === 'marker') {
        const newline = this.buffered.indexOf(0x0a);
        if (newline < 0) {
          if (this.buffered.length > MAX_HEADER) this.invalid('header too long');
          return;
        }
        const line = this.buffered.subarray(0, newline).toString('latin1');
        this.buffered = this.buffered.subarray(newline + 1);
        if (this.state === 'marker') {
          if (line !== 'patch') return this.invalid(`expected the patch marker, got "${line.slice(0, 80)}"`);
          this.finishHeader();
          return;
        }
        if (!this.headerLine(line)) return;
        continue;
      }
      if (this.state === 'dirty') {
        if (this.buffered.length < this.dirtySize) return;
        this.dirty = Buffer.from(this.buffered.subarray(0, this.dirtySize));
        this.buffered = this.buffered.subarray(this.dirtySize);
        this.state = 'header';
        continue;
      }
      if (this.state === 'list') {
        if (this.buffered.length < this.listSize) return;
        this.list = Buffer.from(this.buffered.subarray(0, this.listSize));
        this.buffered = this.buffered.subarray(this.listSize);
        this.state = 'marker';
        continue;
      }
      return;
    }
  }

  /**
   * One header line, in the order export.sh prints them: `base`, `source`, `record`, `head`,
   * each once, then any `warn`, then `dirty` (optional) and `list`. Anything else (an unknown
   * line, a repeated or misplaced field, a value outside its words) makes the output invalid.
   */
  private headerLine(line: string): boolean {
    if (!this.fields.has('magic')) {
      if (line !== 'BERTH-EXPORT 1') {
        this.invalid(`unexpected output "${line.slice(0, 200)}"`);
        return false;
      }
      this.fields.set('magic', line);
      return true;
    }
    const space = line.indexOf(' ');
    const key = space < 0 ? line : line.slice(0, space);
    const value = space < 0 ? '' : line.slice(space + 1);
    const next = FIXED_FIELDS.find((field) => !this.fields.has(field));
    if (next !== undefined) {
      if (key !== next || space < 0 || !FIXED_VALUE[next].test(value)) {
        this.invalid(`expected the header field "${next}", got "${line.slice(0, 80)}"`);
        return false;
      }
      this.fields.set(key, value);
      return true;
    }
    if (key === 'warn' && this.dirtySeen === false) {
      if (!WARNING.test(value)) {
        this.invalid(`unknown warning "${value.slice(0, 80)}"`);
        return false;
      }
      this.warnings.push(value);
      return true;
    }
    if (key === 'dirty' && this.dirtySeen === false) {
      const size = Number(value);
      if (!/^\d+$/.test(value) || size > MAX_LIST) {
        this.invalid(`bad dirty size "${value.slice(0, 40)}"`);
        return false;
      }
      this.dirtySeen = true;
      this.dirtySize = size;
      this.state = 'dirty';
      return true;
    }
    if (key === 'list') {
      const size = Number(value);
      if (!/^\d+$/.test(value) || size > MAX_LIST) {
        this.invalid(`bad list size "${value.slice(0, 40)}"`);
        return false;
      }
      this.listSize = size;
      this.state = 'list';
      return true;
    }
    this.invalid(`unexpected header line "${line.slice(0, 80)}"`);
    return false;
  }

  private finishHeader(): void {
    const base = this.fields.get('base') ?? '';
    const record = this.fields.get('record');
    const head = this.fields.get('head');
    this.header_ = {
      base,
      source: (this.fields.get('source') ?? '') as ExportHeader['source'],
      record: record === 'container' || record === 'state' ? record : undefined,
      head: head && head !== '-' ? head : undefined,
      warnings: this.warnings,
      list: this.list,
      dirty: this.dirty,
    };
    this.state = 'patch';
  }

  private invalid(why: string): void {
    this.problem ??= why;
    this.state = 'invalid';
    this.buffered = Buffer.alloc(0);
  }
}
