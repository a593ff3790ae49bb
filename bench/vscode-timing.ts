// How fast Berth starts in a real VS Code (code-server's VS Code 1.100 in headless Chromium):
// activate() (Ctx.activationMs), the backend's time from process start to ready
// (serverInfo().readyMs), and what a person sees: the time from the workbench appearing to
// Berth's status-bar item (activation) and to its check mark (backend ready, engine reached).
// Each run is a fresh server and browser. Goals: activate ≤ 100 ms, backend ready ≤ 500 ms.
// Baseline in the same run: a bare `node -e 0`, spawn to exit, since the backend's readyMs
// includes Node's own start-up.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { openWorkbench } from '../test/vscode/harness/browser';
import { testWorkbenchUrl } from '../test/vscode/harness/codeTestHost';
import { repoRoot } from '../test/vscode/harness/paths';
import { startVsCodeServer } from '../test/vscode/harness/server';
import { median } from './lib/stats';

const RUNS = Number(process.env.BERTH_BENCH_RUNS ?? 5);

/**
 * Timestamps (page clock, from navigation start) of the workbench appearing, Berth's status
 * item appearing and its check mark, recorded in the page as they happen: the extension host
 * may be gone by the time the probe has reported.
 */
const MARK_SCRIPT = `(() => {
  const marks = (globalThis.__berthMarks = {});
  const mark = (key) => { if (marks[key] === undefined) marks[key] = performance.now(); };
  const observer = new MutationObserver(() => {
    if (marks.workbench === undefined && document.querySelector('.monaco-workbench')) mark('workbench');
    for (const item of document.querySelectorAll('.statusbar-item')) {
      if (!(item.textContent || '').includes('Berth')) continue;
      mark('status');
      if (item.querySelector('.codicon-check')) mark('ready');
    }
    if (marks.ready !== undefined && marks.workbench !== undefined) observer.disconnect();
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
})();`;
const GOALS = { activationMs: 100, readyMs: 500 };

interface Sample {
  activationMs: number;
  readyMs: number;
  workbenchToStatusMs: number;
  workbenchToReadyMs: number;
  pageToWorkbenchMs: number;
}

async function once(): Promise<Sample> {
  const root = repoRoot();
  const server = await startVsCodeServer();
  try {
    let timing: { activationMs: number; readyMs: number } | undefined;
    let reportExit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => (reportExit = resolve));
    const url = testWorkbenchUrl(server, {
      extensionDevelopmentPaths: [root],
      extensionTestsPath: join(root, 'out', 'bench', 'vscode-timing', 'probe'),
      userDataDir: undefined,
      extensionsDir: undefined,
      folder: server.workspace,
    });
    const browser = await openWorkbench(url, {
      initScript: MARK_SCRIPT,
      expose: { codeAutomationExit: (code: number) => reportExit(Number(code)) },
      onConsole: (text) => {
        const match = /BERTH_TIMING (\{.*\})/.exec(text);
        if (match) timing = JSON.parse(match[1] as string) as typeof timing;
      },
    });
    try {
      const code = await Promise.race([exited, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 180_000))]);
      if (code !== 0 || !timing) throw new Error(`the probe ended with ${code} and reported ${JSON.stringify(timing)}`);
      const marks = await browser.page.waitForFunction(() => {
        const m = (globalThis as unknown as { __berthMarks?: Record<string, number> }).__berthMarks;
        return m && m.workbench !== undefined && m.status !== undefined && m.ready !== undefined ? m : undefined;
      }, undefined, { timeout: 120_000 });
      const { workbench, status, ready } = (await marks.jsonValue()) as Record<'workbench' | 'status' | 'ready', number>;
      return {
        activationMs: timing.activationMs,
        readyMs: timing.readyMs,
        pageToWorkbenchMs: workbench,
        workbenchToStatusMs: status - workbench,
        workbenchToReadyMs: ready - workbench,
      };
    } finally {
      await browser.close();
    }
  } finally {
    await server.stop();
  }
}

function nodeStartMs(): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, ['-e', '0']);
  if (result.status !== 0) throw new Error('node -e 0 failed');
  return performance.now() - started;
}

async function main(): Promise<void> {
  console.log(`VS Code timing: ${RUNS} runs, each a fresh VS Code server and browser`);
  const samples: Sample[] = [];
  const baselines: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    baselines.push(nodeStartMs());
    const sample = await once();
    samples.push(sample);
    console.log(
      `  run ${i + 1}: activate ${sample.activationMs} ms, backend ready ${sample.readyMs} ms, ` +
        `workbench→status item ${sample.workbenchToStatusMs.toFixed(0)} ms, workbench→ready ${sample.workbenchToReadyMs.toFixed(0)} ms`,
    );
  }
  const med = (key: keyof Sample) => median(samples.map((s) => s[key]));
  const base = median(baselines);
  const verdict = (value: number, goal: number) => (value <= goal ? `meets the goal of ≤ ${goal} ms` : `MISSES the goal of ≤ ${goal} ms`);
  console.log('medians:');
  console.log(`  activate() (Ctx.activationMs)            ${med('activationMs').toFixed(0)} ms  ${verdict(med('activationMs'), GOALS.activationMs)}`);
  console.log(`  backend ready (serverInfo().readyMs)     ${med('readyMs').toFixed(0)} ms  ${verdict(med('readyMs'), GOALS.readyMs)}`);
  console.log(`    baseline: bare \`node -e 0\`             ${base.toFixed(0)} ms  (ready is ${(med('readyMs') / base).toFixed(2)}× a bare Node start)`);
  console.log(`  page load → workbench                    ${med('pageToWorkbenchMs').toFixed(0)} ms`);
  console.log(`  workbench → Berth status item (active)   ${med('workbenchToStatusMs').toFixed(0)} ms`);
  console.log(`  workbench → check mark (backend+engine)  ${med('workbenchToReadyMs').toFixed(0)} ms`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error((error as Error).stack ?? String(error));
    process.exit(1);
  },
);
