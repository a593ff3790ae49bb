// `npm run demo` (scripts/demo.sh) end to end: it prints a URL that answers, serves a VS Code
// in which Berth shows the demo workload, and cleans up on Ctrl-C and after
// BERTH_DEMO_EXIT_AFTER_READY=1.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TEST_RUN, cleanupTestObjects, docker, uniqueName } from '../fixtures/docker';
import { openWorkbench } from './harness/browser';
import { demoNames } from './harness/demoWorkload';
import { repoRoot } from './harness/paths';
import { stopGroup } from './harness/processes';
import { UI_TIMEOUT_MS, filterWorkloads, openBerthContainer, projectRow, rowIcon, waitUntil, workloadRow } from './harness/workbench';

interface Demo {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/** Runs scripts/demo.sh in its own process group (so a test can Ctrl-C it like a terminal). */
function runDemo(prefix: string, env: Record<string, string> = {}): Demo {
  const child = spawn('bash', [join(repoRoot(), 'scripts', 'demo.sh')], {
    cwd: repoRoot(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      BERTH_DEMO_PREFIX: prefix,
      // The test command built and packaged already, and must not reinstall node_modules
      // under other running tests.
      BERTH_DEMO_SKIP_INSTALL: '1',
      BERTH_DEMO_SKIP_BUILD: '1',
      // The demo's objects carry this run's test label, so cleanupTestObjects covers them.
      BERTH_TEST_RUN: TEST_RUN,
      ...env,
    },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  return { child, output: () => output, exited };
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get(url, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.setTimeout(10_000, () => request.destroy(new Error('timeout')));
  });
}

const URL_PATTERN = /http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+/;

async function containerExists(name: string): Promise<boolean> {
  return docker()
    .getContainer(name)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

describe('npm run demo (scripts/demo.sh)', () => {
  const running: Demo[] = [];

  before(() => cleanupTestObjects());
  after(async () => {
    for (const demo of running) await stopGroup(demo.child.pid).catch(() => undefined);
    await cleanupTestObjects();
  });

  it('serves a VS Code with Berth showing the demo workload, and Ctrl-C cleans everything up', async () => {
    const prefix = uniqueName('bdemo');
    const names = demoNames(prefix);
    const demo = runDemo(prefix);
    running.push(demo);
    const url = await waitUntil('the demo to print its URL', async () => URL_PATTERN.exec(demo.output())?.[0], (u) => u !== undefined, 300_000).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n${demo.output()}`);
      },
    );
    assert.ok(url);
    assert.equal(await httpStatus(url), 200);

    const main = await docker().getContainer(prefix).inspect();
    assert.equal(main.State.Running, true);
    assert.deepEqual(
      main.Mounts.map((m) => ({ type: m.Type, destination: m.Destination, name: m.Type === 'volume' ? m.Name : undefined })).sort((a, b) => a.destination.localeCompare(b.destination)),
      [
        { type: 'bind', destination: '/configs', name: undefined },
        { type: 'volume', destination: '/data', name: names.volumes[0] },
      ],
    );
    for (const name of names.containers.slice(1)) {
      assert.equal((await docker().getContainer(name).inspect()).Config.Labels['com.docker.compose.project'], names.project);
    }

    const browser = await openWorkbench(url);
    try {
      await openBerthContainer(browser.page);
      await filterWorkloads(browser.page, prefix);
      const row = workloadRow(browser.page, prefix);
      await waitUntil(`${prefix}'s row`, () => rowIcon(row), (icon) => icon === 'codicon-vm-running', UI_TIMEOUT_MS);
      await waitUntil(`project ${names.project}'s row`, () => projectRow(browser.page, names.project).count(), (n) => n === 1);
      await browser.page.screenshot({ path: join(repoRoot(), 'test-artifacts', 'demo.png') });
    } finally {
      await browser.close();
    }

    // Ctrl-C in a terminal signals the whole foreground process group.
    process.kill(-(demo.child.pid as number), 'SIGINT');
    assert.equal(await demo.exited, 130);
    for (const name of names.containers) assert.equal(await containerExists(name), false, `${name} removed`);
    await assert.rejects(httpStatus(url), 'code-server stopped');
  });

  it('BERTH_DEMO_EXIT_AFTER_READY=1 exits 0 once the URL answers, and leaves nothing behind', async () => {
    const prefix = uniqueName('bdemo');
    const demo = runDemo(prefix, { BERTH_DEMO_EXIT_AFTER_READY: '1' });
    running.push(demo);
    const code = await demo.exited;
    assert.equal(code, 0, demo.output());
    const url = URL_PATTERN.exec(demo.output())?.[0];
    assert.ok(url, `a URL in:\n${demo.output()}`);
    for (const name of demoNames(prefix).containers) assert.equal(await containerExists(name), false, `${name} removed`);
    await assert.rejects(httpStatus(url), 'code-server stopped');
  });
});
