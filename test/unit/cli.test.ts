// The `berth` CLI in-process through runCli, and the bundled executable as a real process for
// its exit codes. No real engine: unreachable endpoints are nonexistent sockets or plain files.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorCodes, ExitCodes } from '../../protocol/src';
import { runCli } from '../../cli/src/cli';

// out/test/unit/cli.test.js → the repository root.
const root = resolve(__dirname, '..', '..', '..');
const nowhere = `unix:///nonexistent/berth-cli-${process.pid}/docker.sock`;
// The environment must not point the CLI at a real engine by accident.
const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: nowhere };

interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

async function cli(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }, env);
  return { code, out, err };
}

/** The one JSON document of a --json run, checked to be exactly the error shape. */
function jsonError(run: Run): { code: number; name: string; message: string } {
  assert.equal(run.out.length, 1, `exactly one document on stdout, got ${JSON.stringify(run.out)}`);
  const doc = JSON.parse(run.out[0] ?? '') as { error: { code: number; name: string; message: string } };
  assert.deepEqual(Object.keys(doc), ['error']);
  assert.deepEqual(Object.keys(doc.error).sort(), ['code', 'message', 'name']);
  assert.equal(typeof doc.error.code, 'number');
  assert.equal(typeof doc.error.name, 'string');
  assert.ok(doc.error.message.length > 0);
  return doc.error;
}

const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

describe('CLI in-process', () => {
  it('--version prints the version, as text or as JSON', async () => {
    const text = await cli('--version');
    assert.equal(text.code, ExitCodes.Ok);
    assert.equal(text.out.length, 1);
    assert.match(text.out[0] ?? '', /^\d+\.\d+\.\d+/);
    for (const argv of [['--version', '--json'], ['--json', '-v']]) {
      const json = await cli(...argv);
      assert.equal(json.code, ExitCodes.Ok);
      assert.equal(json.out.length, 1);
      assert.deepEqual(Object.keys(JSON.parse(json.out[0] ?? '') as object), ['version']);
    }
  });

  it('--help and no arguments print the usage with the exit codes', async () => {
    for (const argv of [['--help'], ['-h'], ['help'], []]) {
      const run = await cli(...argv);
      assert.equal(run.code, ExitCodes.Ok);
      assert.match(run.out.join('\n'), /Usage: berth <resource> <verb>/);
      assert.match(run.out.join('\n'), /workloads list/);
      assert.match(run.out.join('\n'), /6 engine unreachable/);
      assert.deepEqual(run.err, []);
    }
    const command = await cli('workloads', 'list', '--help');
    assert.equal(command.code, ExitCodes.Ok);
    assert.match(command.out.join('\n'), /Usage: berth workloads list/);
  });

  it('usage errors exit 2 and say what is wrong on stderr', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /Unknown command "frobnicate"/],
      [['workloads', 'frob'], /Unknown command "workloads frob".*takes: list/],
      [['workloads'], /Unknown command "workloads"/],
      [['workloads', 'list', '--bogus'], /bogus/],
      [['workloads', 'list', '-z'], /-z/],
      [['workloads', 'list', '--docker-host'], /docker-host/],
      [['workloads', 'list', 'extra'], /takes 0 argument\(s\), not 1/],
      [['workloads', 'list', 'a', 'b'], /takes 0 argument\(s\), not 2/],
    ];
    for (const [argv, message] of cases) {
      const run = await cli(...argv);
      assert.equal(run.code, ExitCodes.Usage, argv.join(' '));
      assert.deepEqual(run.out, [], `nothing on stdout for ${argv.join(' ')}`);
      assert.equal(run.err.length, 1);
      assert.match(run.err[0] ?? '', /^berth: /);
      assert.match(run.err[0] ?? '', message);

      const json = await cli(...argv, '--json');
      assert.equal(json.code, ExitCodes.Usage);
      const error = jsonError(json);
      assert.equal(error.code, ErrorCodes.InvalidParams);
      assert.equal(error.name, 'Usage');
      assert.match(error.message, message);
      assert.deepEqual(json.err, [], '--json keeps stderr clean');
    }
  });

  it('an unusable --docker-host exits 5 with a message naming the value', async () => {
    for (const value of ['ftp://x', 'not a url', 'tcp://', 'unix://relative', ' ']) {
      const run = await cli('workloads', 'list', '--docker-host', value);
      assert.equal(run.code, ExitCodes.Rejected, `--docker-host ${JSON.stringify(value)}`);
      if (value.trim()) assert.ok(run.err.join('\n').includes(`"${value}"`), run.err.join('\n'));
      // The option is blamed, never a setting the CLI does not have.
      assert.match(run.err.join('\n'), /--docker-host/);
      assert.doesNotMatch(run.err.join('\n'), /berth\.dockerHost/);

      const json = await cli('workloads', 'list', '--json', '--docker-host', value);
      assert.equal(json.code, ExitCodes.Rejected);
      const error = jsonError(json);
      assert.equal(error.code, ErrorCodes.Rejected);
      assert.equal(error.name, 'Rejected');
    }
    // The same from DOCKER_HOST, which the message names as the source.
    const out: string[] = [];
    const code = await runCli(['workloads', 'list', '--json'], { out: (t) => out.push(t), err: () => undefined }, { DOCKER_HOST: 'ftp://x' });
    assert.equal(code, ExitCodes.Rejected);
    assert.match(jsonError({ code, out, err: [] }).message, /"ftp:\/\/x" from DOCKER_HOST/);
  });

  describe('an unreachable engine', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'berth-cli-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('exits 6 for a missing socket and for a path that is no socket', async () => {
      const notASocket = join(dir, 'plain-file');
      writeFileSync(notASocket, 'not a socket');
      for (const endpoint of [nowhere, `unix://${notASocket}`]) {
        const run = await cli('workloads', 'list', '--docker-host', endpoint);
        assert.equal(run.code, ExitCodes.EngineUnreachable, endpoint);
        assert.ok(run.err.join('\n').includes(endpoint), run.err.join('\n'));

        const json = await cli('workloads', 'list', '--json', '--docker-host', endpoint);
        assert.equal(json.code, ExitCodes.EngineUnreachable);
        const error = jsonError(json);
        assert.equal(error.code, ErrorCodes.EngineUnreachable);
        assert.equal(error.name, 'EngineUnreachable');
      }
    });
  });
});

describe('CLI as a real process (bin/berth.js → dist/cli.js)', () => {
  const bin = join(root, 'bin', 'berth.js');

  function spawnBerth(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolvePromise) => {
      execFile(process.execPath, [bin, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolvePromise({ status, stdout, stderr });
      });
    });
  }

  it('sets the process exit code: 0, 2, 5 and 6', async () => {
    assert.ok(existsSync(join(root, 'dist', 'cli.js')), 'dist/cli.js is missing: run `node esbuild.mjs` first');
    const [ok, usage, rejected, unreachable] = await Promise.all([
      spawnBerth(['--version']),
      spawnBerth(['frobnicate', '--json']),
      spawnBerth(['workloads', 'list', '--json', '--docker-host', 'ftp://x']),
      spawnBerth(['workloads', 'list', '--json']),
    ]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, `${version}\n`);
    assert.equal(usage.status, ExitCodes.Usage, usage.stderr);
    assert.equal(JSON.parse(usage.stdout).error.name, 'Usage');
    assert.equal(rejected.status, ExitCodes.Rejected, rejected.stderr);
    assert.equal(JSON.parse(rejected.stdout).error.code, ErrorCodes.Rejected);
    assert.equal(unreachable.status, ExitCodes.EngineUnreachable, unreachable.stderr);
    assert.equal(JSON.parse(unreachable.stdout).error.name, 'EngineUnreachable');
    // One document, one line: scripts can read it with a plain JSON parser.
    assert.equal(unreachable.stdout.trim().split('\n').length, 1);
  });
});
