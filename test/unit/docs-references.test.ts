// Names in comments and docs need no outside context: nothing cites a file that is not in the
// repository (the pitfalls list lived outside it: a comment writes the point itself), and every
// restore guard number the code, the tests or the docs cite is defined in docs/restore.md.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

// Tests run from the repository root (scripts/test.sh); resolve everything from there.
const root = process.cwd();
const SOURCES = ['server/src', 'client/src', 'cli/src', 'protocol/src', 'test', 'docs', 'scripts', 'bench'];

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) out.push(...files(path));
    else if (/\.(ts|md|sh|mjs)$/.test(name)) out.push(path);
  }
  return out;
}

const all = SOURCES.flatMap(files).filter((path) => path !== join('test', 'unit', 'docs-references.test.ts'));

describe('references in comments and docs', () => {
  it('nothing cites the pitfalls file, which is not in the repository', () => {
    const citing = all.filter((path) => /PITFALLS/.test(readFileSync(join(root, path), 'utf8')));
    assert.deepEqual(citing, [], 'write the point itself into the comment');
  });

  it('every restore guard number cited anywhere is defined in docs/restore.md', () => {
    const restore = readFileSync(join(root, 'docs', 'restore.md'), 'utf8');
    const section = restore.slice(restore.indexOf('## Guards and how each is enforced'), restore.indexOf('\n## ', restore.indexOf('## Guards and how each is enforced') + 1));
    const defined = new Set([...section.matchAll(/^(\d+)\. \*\*/gm), ...section.matchAll(/\*\*(\d+b)\. /g)].map((m) => m[1] as string));
    assert.ok(defined.size >= 9, `found the guards ${[...defined].join(', ')}`);
    const cited = new Map<string, string>();
    for (const path of all) {
      const text = readFileSync(join(root, path), 'utf8');
      for (const m of text.matchAll(/\bguards? (\d+b?(?:(?:, | and |–|-)\d+b?)*)/gi)) {
        const list = m[1] as string;
        const range = /^(\d+)[–-](\d+)$/.exec(list);
        const numbers = range ? Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => String(Number(range[1]) + i)) : list.split(/, | and /);
        for (const n of numbers) if (!cited.has(n)) cited.set(n, path);
      }
    }
    const undefinedGuards = [...cited].filter(([n]) => !defined.has(n)).map(([n, path]) => `guard ${n} (cited in ${path})`);
    assert.deepEqual(undefinedGuards, []);
    assert.ok(cited.has('3') && cited.has('5'), 'the scan finds the guards the code cites');
  });
});
