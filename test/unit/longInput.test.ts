// A rejected 5,000-character argument is named in a readable length, not echoed whole; the
// --json error's `path` keeps the whole value for scripts. The real CLI in-process; no engine.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ExitCodes } from '../../protocol/src';
import { runCli } from '../../cli/src/cli';

const work = mkdtempSync(join(tmpdir(), 'berth-long-'));
after(() => rmSync(work, { recursive: true, force: true }));
const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: work, BERTH_STATE_DIR: join(work, 'state'), DOCKER_HOST: `unix:///nonexistent/berth-long-${process.pid}/docker.sock` };
const LONG = 'a'.repeat(5000);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('long input in error messages', () => {
  const cases: [string, string[], number][] = [
    ['a snapshot ID', ['snapshots', 'verify', LONG], ExitCodes.Usage],
    ['a file to import (too long for the file system)', ['snapshots', 'import', `/${LONG}`], ExitCodes.Rejected],
    ['a restore without --yes', ['snapshots', 'restore', 'web', LONG], ExitCodes.Usage],
    ['a Docker endpoint (unreachable)', ['workloads', 'list', '--docker-host', `tcp://${LONG}`], ExitCodes.EngineUnreachable],
    ['an unknown command', ['snapshots', LONG], ExitCodes.Usage],
  ];
  for (const [what, argv, exit] of cases) {
    it(`${what}: cut to a readable length with the full length, in text and in --json`, async () => {
      const text = await cli(...argv);
      assert.equal(text.code, exit, text.err);
      assert.ok(text.err.length < 600, `${text.err.length} characters on stderr: ${text.err.slice(0, 300)}…`);
      assert.match(text.err, /a{50}…a{40} \(50\d\d characters\)/);
      const json = await cli(...argv, '--json');
      const error = (JSON.parse(json.out) as { error: { message: string } }).error;
      assert.ok(error.message.length < 600, `${error.message.length} characters in the JSON message`);
    });
  }

  it('--json keeps the whole path in `path` for scripts', async () => {
    const json = await cli('snapshots', 'import', `/${LONG}`, '--json');
    const error = (JSON.parse(json.out) as { error: { message: string; path?: string } }).error;
    assert.equal(error.path, `/${LONG}`);
  });
});
