// The typed step lists (protocol/src/steps.ts) and the shell programs agree: every step a script
// announces is in the lists, and every plugin step in the lists is announced by plugin.sh. A step
// renamed on one side only would otherwise make BERTH_CRASH_AT name a seam that never fires,
// and the crash test that sets it would pass without crashing anything.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { ALL_STEPS, PLUGIN_SCRIPT_STEPS, type Step } from '../../protocol/src';
import { crashPoint } from '../../server/src/crash';
import { ScriptOutput } from '../../server/src/install/script';

const REPO = join(__dirname, '..', '..', '..');

function shellPrograms(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...shellPrograms(path));
    else if (entry.name.endsWith('.sh')) out.push(path);
  }
  return out.sort();
}

/**
 * The steps a script announces through its `step` function: `step <name>` with a literal name,
 * and `step "$1.<suffix>"` inside a function that is called as `<function> <prefix>` (plugin.sh's
 * `sweep install.sweep` announces install.sweep.recover and install.sweep.clean). Any other form
 * of `step` call cannot be checked and fails the test.
 */
function announcedSteps(script: string, file: string): Set<string> {
  const steps = new Set<string>();
  const suffixesOf = new Map<string, string[]>();
  let currentFunction: string | undefined;
  for (const [i, line] of script.split('\n').entries()) {
    const definition = /^([a-z_][a-z0-9_]*)\(\)\s*\{/.exec(line);
    if (definition) currentFunction = definition[1];
    const call = /^\s*(?:if !?\s*)?step\s+(.*?)\s*$/.exec(line);
    if (!call || line.trimStart().startsWith('#')) continue;
    const argument = call[1] ?? '';
    const literal = /^([a-z][a-z0-9.-]*)$/.exec(argument);
    const prefixed = /^"\$1\.([a-z][a-z0-9.-]*)"$/.exec(argument);
    if (literal?.[1]) steps.add(literal[1]);
    else if (prefixed?.[1] && currentFunction) suffixesOf.set(currentFunction, [...(suffixesOf.get(currentFunction) ?? []), prefixed[1]]);
    else assert.fail(`${file}:${i + 1}: a step call this test cannot read: ${line.trim()}`);
  }
  const code = script
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n');
  for (const [fn, suffixes] of suffixesOf) {
    // A command: at the start of a line or after `!`, `if`, `;`, `&&`, `||`, and ending there too
    // (not the word inside a message such as "the next sweep removes it").
    const calls = new RegExp(`(?:^|[!;&|]|\\bif|\\bthen)\\s*${fn}\\s+([a-z][a-z0-9.-]*)\\s*(?:$|;|&&|\\|\\|)`, 'gm');
    for (const match of code.matchAll(calls)) for (const suffix of suffixes) steps.add(`${match[1]}.${suffix}`);
  }
  return steps;
}

describe('named steps', () => {
  const programs = shellPrograms(join(REPO, 'server', 'src'));

  it('plugin.sh announces exactly the plugin steps of protocol/src/steps.ts', () => {
    const file = join(REPO, 'server', 'src', 'install', 'plugin.sh');
    assert.ok(programs.includes(file));
    const announced = [...announcedSteps(readFileSync(file, 'utf8'), 'plugin.sh')].sort();
    assert.deepEqual(announced, [...PLUGIN_SCRIPT_STEPS].sort());
  });

  it('every step any shell program of the backend announces is a typed step', () => {
    const known = new Set<string>(ALL_STEPS);
    for (const file of programs) {
      for (const step of announcedSteps(readFileSync(file, 'utf8'), relative(REPO, file))) {
        assert.ok(known.has(step), `${relative(REPO, file)} announces ${step}, which protocol/src/steps.ts does not list`);
      }
    }
  });

  it('no step name is listed twice, and every name is <operation>.<step>', () => {
    assert.equal(new Set(ALL_STEPS).size, ALL_STEPS.length);
    for (const step of ALL_STEPS) assert.match(step, /^[a-z]+(\.[a-z-]+)+$/);
  });

  it('the driver takes only known steps from the script as steps (its output is not trusted); any other is a protocol violation', () => {
    const parse = (...records: string[][]) => {
      const out = new ScriptOutput();
      out.write(Buffer.concat([['BERTH', '2'], ...records].map((fields) => Buffer.from(`${fields.map((f) => `${f}\0`).join('')}\n`))));
      out.finish();
      return { events: out.events.slice(1), problem: out.problem };
    };
    assert.deepEqual(parse(['STEP', 'install.aside'], ['OK', 'install.aside']), {
      events: [
        { kind: 'step', step: 'install.aside' },
        { kind: 'ok', step: 'install.aside' },
      ],
      problem: undefined,
    });
    for (const unknown of ['install.snapshot', 'restore.commit']) {
      const { events, problem } = parse(['STEP', unknown]);
      assert.deepEqual(events, [], unknown);
      assert.match(problem ?? '', /step the backend does not know/);
    }
  });

  it('the crash seam matches a listed step exactly, among several', () => {
    const env = { BERTH_CRASH_AT: 'install.swap, capture.commit' };
    const step: Step = 'install.aside';
    // Not listed: the seam lets it pass (a match would SIGKILL this test process).
    crashPoint(step, env);
    crashPoint('capture.catalog', env);
    const skipped = { ...env, BERTH_CRASH_SKIP: '1' };
    crashPoint('install.swap', skipped);
    assert.equal(skipped.BERTH_CRASH_SKIP, '0', 'a listed step with a skip left counts it down instead of crashing');
  });
});
