import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

// Tests run from the repository root (scripts/test.sh); resolve everything from there.
const root = process.cwd();

function readJson(path: string): Record<string, string> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\d+)\}/g)].map((m) => m[1] ?? '').sort();
}

describe('localization', () => {
  it('every l10n.t string in the sources has a Russian translation with the same placeholders', () => {
    const out = mkdtempSync(join(tmpdir(), 'berth-l10n-'));
    try {
      const cli = join(root, 'node_modules', '@vscode', 'l10n-dev', 'dist', 'cli.js');
      execFileSync(process.execPath, [cli, 'export', '--outDir', out, 'client/src', 'server/src', 'cli/src'], { cwd: root, stdio: 'ignore' });
      const english = Object.keys(readJson(join(out, 'bundle.l10n.json')));
      assert.ok(english.length > 50, `expected the sources to hold many strings, found ${english.length}`);
      const ru: Record<string, string> = {};
      for (const name of readdirSync(join(root, 'l10n', 'ru'))) Object.assign(ru, readJson(join(root, 'l10n', 'ru', name)));
      const missing = english.filter((key) => typeof ru[key] !== 'string' || ru[key] === '');
      assert.deepEqual(missing, [], 'strings without a Russian translation (add them to l10n/ru/<capability>.json)');
      const mismatched = english.filter((key) => placeholders(key).join() !== placeholders(ru[key] ?? '').join());
      assert.deepEqual(mismatched, [], 'translations whose {n} placeholders differ from the English');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('every %key% in package.json exists in English and Russian', () => {
    const manifest = readFileSync(join(root, 'package.json'), 'utf8');
    const keys = [...new Set([...manifest.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1] ?? ''))];
    const en = readJson(join(root, 'package.nls.json'));
    const ru = readJson(join(root, 'package.nls.ru.json'));
    assert.deepEqual(keys.filter((k) => !(k in en)), [], 'keys missing from package.nls.json');
    assert.deepEqual(Object.keys(en).filter((k) => !(k in ru)), [], 'keys missing from package.nls.ru.json');
  });
});
