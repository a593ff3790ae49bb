// Every request's params schema (protocol/src/params/), table-driven over every request of the
// protocol: a request without a schema, or without a sample here, fails. For each request the
// malformed params are derived from its own schema (a wrong type and, for strings, an empty
// value, a NUL byte and one character too many per field; each required field left out; a field
// it does not take) and sent to the real backend over in-memory streams, which must answer
// InvalidParams naming the field and why, and keep serving.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RequestType } from 'vscode-jsonrpc';
import * as protocol from '../../protocol/src';
import { ErrorCodes } from '../../protocol/src';
import { fieldsOf, requestParams, type FieldInfo, type ParamsSchemaOf, type RequestMethod, type SentParams } from '../../protocol/src/params';
import { startRpcPair, type RpcPair } from './harness/rpcPair';

/** One valid params object per request: the base that each malformed case changes one thing of. */
const samples: { readonly [M in RequestMethod]: SentParams<ParamsSchemaOf<M>> } = {
  'berth/server/info': undefined,
  'berth/engine/status': undefined,
  'berth/workloads/list': { all: true },
  'berth/workloads/start': { workload: 'web' },
  'berth/workloads/stop': { workload: 'web' },
  'berth/workloads/restart': { workload: 'web' },
  'berth/workloads/logs': { workload: 'web', tail: 10, timestamps: true },
  'berth/volumes/usage': undefined,
  'berth/plugins/list': { workload: 'web', root: '/configs/plugins', includeEmpty: true },
  'berth/plugins/install': { workload: 'web', folder: '/tmp/plugin', name: 'demo', root: '/configs/plugins', wait: true, workDoneToken: 't' },
  'berth/plugins/rollback': { workload: 'web', name: 'demo', root: '/configs/plugins', wait: false, workDoneToken: 1 },
  'berth/plugins/remove': { workload: 'web', name: 'demo' },
  'berth/plugins/sweep': { workload: 'web', root: '/configs/plugins' },
  'berth/snapshots/list': { workload: 'web' },
  'berth/snapshots/create': { workload: 'web', label: 'before upgrade', quiesce: 'stop', keep: 3 },
  'berth/snapshots/verify': { id: '0123456789ab', workload: 'web' },
  'berth/snapshots/delete': { id: '0123456789ab', workload: 'web' },
  'berth/snapshots/pin': { id: '0123456789ab', workload: 'web', pinned: true },
  'berth/snapshots/export': { id: '0123456789ab', workload: 'web', file: '/tmp/s.tar.gz' },
  'berth/snapshots/import': { file: '/tmp/s.tar.gz' },
  'berth/snapshots/createProject': { project: 'shop', label: 'nightly', quiesce: 'stop', workDoneToken: 't' },
  'berth/snapshots/prune': { workload: 'web', keep: 2, keepLast: 2, keepHourly: 24, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 3, keepWithin: '1y2m', dryRun: true },
  'berth/snapshots/adopt': { id: '0123456789ab' },
  'berth/snapshots/restorePreview': { workload: 'web', snapshot: '0123456789ab' },
  'berth/snapshots/restore': { workload: 'web', snapshot: '0123456789ab', confirm: '0'.repeat(64) },
  'berth/schedules/list': undefined,
  'berth/recovery/run': undefined,
  'berth/recovery/startupReport': undefined,
  'berth/workspace/export': { workload: 'web', path: '/workspace', defaultPath: '/src', base: 'HEAD~1' },
  'berth/workspace/import': { workload: 'web', dir: '/tmp/repo', path: '/workspace', defaultPath: '/src', mode: 'full_copy', branch: 'topic', from: 'main', readOnly: true },
  'berth/workspace/fileContent': { exportId: 'e1', path: 'src/a.ts', side: 'base' },
  'berth/workspace/apply': { exportId: 'e1', repo: '/tmp/repo' },
  'berth/workspace/savePatch': { exportId: 'e1', file: '/tmp/p.patch' },
};

/** Every request namespace the protocol exports (`{ method, type: RequestType }`). */
function protocolRequests(): string[] {
  const methods: string[] = [];
  for (const value of Object.values(protocol) as unknown[]) {
    const candidate = value as { method?: unknown; type?: unknown } | null;
    if (typeof candidate === 'object' && candidate !== null && typeof candidate.method === 'string' && candidate.type instanceof RequestType) methods.push(candidate.method);
  }
  return methods.sort();
}

interface Case {
  readonly method: string;
  readonly what: string;
  readonly params: Record<string, unknown>;
  /** What the message must say: the field, quoted, and the reason. */
  readonly says: readonly RegExp[];
}

const quotedName = (name: string) => new RegExp(`"${name}"`);

/** Malformed params derived from one request's schema. */
function casesOf(method: RequestMethod): Case[] {
  const base = { ...((samples[method] as object | undefined) ?? {}) } as Record<string, unknown>;
  const cases: Case[] = [];
  const change = (field: FieldInfo, what: string, value: unknown, ...says: RegExp[]) =>
    cases.push({ method, what: `${field.name}: ${what}`, params: { ...base, [field.name]: value }, says: [quotedName(field.name), ...says] });
  for (const field of fieldsOf(requestParams[method])) {
    const rule = field.rule;
    switch (rule.kind) {
      case 'string':
        change(field, 'a number', 42, /must be a non-empty string/);
        change(field, 'an object', { value: 'x' }, /must be a non-empty string/);
        if (rule.minLength > 0) change(field, 'empty', '', /must be a non-empty string/);
        change(field, 'a NUL byte', 'a\u0000b', /NUL/);
        change(field, 'one character too many', 'x'.repeat(rule.maxLength + 1), new RegExp(`too long.*at most ${rule.maxLength} characters`));
        break;
      case 'boolean':
        change(field, 'a string', 'true', /true or false/);
        change(field, 'a number', 0, /true or false/);
        break;
      case 'integer':
        change(field, 'a string', '5', new RegExp(`whole number from ${rule.minimum} to ${rule.maximum}`));
        change(field, 'a fraction', rule.minimum + 0.5, /whole number/);
        change(field, 'below the minimum', rule.minimum - 1, /whole number/);
        change(field, 'above the maximum', rule.maximum + 1, /whole number/);
        break;
      case 'oneOf':
        change(field, 'another word', 'not-one-of-them', new RegExp(`one of: ${rule.values.join(', ')}`));
        change(field, 'a number', 1, /one of:/);
        break;
      case 'stringOrInteger':
        change(field, 'an object', { token: 1 }, /string .* or a whole number/);
        change(field, 'empty', '', /string .* or a whole number/);
        change(field, 'a fraction', 1.5, /string .* or a whole number/);
        change(field, 'one character too many', 'x'.repeat(rule.maxLength + 1), /string .* or a whole number/);
        break;
      case 'other':
        assert.fail(`${method}: "${field.name}" is of a schema kind that InvalidParams messages do not describe; add it to protocol/src/params/fields.ts`);
    }
    if (field.required) {
      const { [field.name]: _left, ...without } = base;
      cases.push({ method, what: `${field.name}: missing`, params: without, says: [quotedName(field.name), /needs/] });
    }
  }
  // The policy for fields a request does not take: refused, naming the field (docs/ARCHITECTURE.md).
  cases.push({ method, what: 'a field it does not take', params: { ...base, notAField: true }, says: [quotedName('notAField')] });
  return cases;
}

describe('request params schemas', () => {
  it('every request of the protocol has a params schema and a sample here', () => {
    const methods = protocolRequests();
    assert.ok(methods.length >= 30, `found only ${methods.length} requests`);
    assert.deepEqual(methods.filter((m) => !Object.hasOwn(requestParams, m)), [], 'requests without a schema in protocol/src/params/index.ts');
    assert.deepEqual(methods.filter((m) => !Object.hasOwn(samples, m)), [], 'requests without a sample in this test');
    assert.deepEqual(Object.keys(requestParams).sort(), methods, 'schemas of requests the protocol does not export');
  });

  it("every sample is valid for its request's schema", () => {
    for (const [method, schema] of Object.entries(requestParams)) {
      const result = schema.safeParse(samples[method as RequestMethod] ?? {});
      assert.ok(result.success, `${method}: ${JSON.stringify(result.error?.issues)}`);
    }
  });

  it('every string field is bounded, every field is of a kind the messages describe', () => {
    for (const [method, schema] of Object.entries(requestParams)) {
      for (const field of fieldsOf(schema)) {
        assert.notEqual(field.rule.kind, 'other', `${method} "${field.name}"`);
        if (field.rule.kind === 'string') assert.ok(field.rule.maxLength <= 4096 && field.rule.minLength >= 1, `${method} "${field.name}": ${JSON.stringify(field.rule)}`);
      }
    }
  });

  it('keeps zod out of the client bundle: the client imports only param types', () => {
    // Built by `node esbuild.mjs` before the tests; zod names its classes with these strings.
    const bundle = (name: string) => readFileSync(join(resolve(__dirname, '..', '..', '..'), 'dist', name), 'utf8');
    assert.ok(bundle('server.js').includes('$ZodObject'), 'the backend bundle holds the schemas');
    assert.ok(!bundle('extension.js').includes('$ZodObject'), 'dist/extension.js holds zod');
  });
});

describe('request params over RPC: malformed params derived from each schema', () => {
  let dir: string;
  let pair: RpcPair;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-params-'));
    pair = startRpcPair({ env: { BERTH_STATE_DIR: join(dir, 'state'), DOCKER_HOST: `unix:///nonexistent/berth-params-${process.pid}/docker.sock` } });
    await pair.initialize();
  });
  after(() => {
    pair.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const method of Object.keys(requestParams) as RequestMethod[]) {
    it(`${method}: each malformed field is InvalidParams naming the field and why`, async () => {
      const failures: string[] = [];
      let n = 0;
      for (const c of casesOf(method)) {
        const answer = await pair.raw({ id: `${method}-${n++}`, method, params: c.params });
        const message = answer.error?.message ?? '';
        if (answer.error?.code !== ErrorCodes.InvalidParams) failures.push(`${c.what}: ${JSON.stringify(answer.error ?? answer.result).slice(0, 200)}`);
        else if ((answer.error.data as { name?: string } | undefined)?.name !== 'InvalidParams') failures.push(`${c.what}: data.name is not InvalidParams`);
        for (const says of c.says) if (!says.test(message)) failures.push(`${c.what}: "${message.slice(0, 200)}" does not match ${says}`);
        if (message.length > 400) failures.push(`${c.what}: a message of ${message.length} characters`);
      }
      assert.deepEqual(failures, []);
    });
  }

  it('keeps serving after all of them', async () => {
    const info = await pair.client.sendRequest(protocol.ServerInfoRequest.type, undefined);
    assert.equal(info.pid, process.pid);
  });
});
