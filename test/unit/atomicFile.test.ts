import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readJsonFile, TEMP_SUFFIX, writeFileAtomic, writeJsonAtomic } from '../../server/src/state/atomicFile';

const dir = mkdtempSync(join(tmpdir(), 'berth-atomic-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('atomic files', () => {
  it('replaces a file and leaves no temp file', async () => {
    const path = join(dir, 'a.json');
    await writeJsonAtomic(path, { v: 1 });
    await writeJsonAtomic(path, { v: 2 });
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { v: 2 });
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith(TEMP_SUFFIX)), []);
  });

  it('keeps the old file whole when the disk is full (real tmpfs)', async (t) => {
    const mnt = mkdtempSync(join(tmpdir(), 'berth-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
    } catch {
      rmSync(mnt, { recursive: true, force: true });
      t.diagnostic('cannot mount tmpfs here (not root?)');
      assert.fail('this test needs root to mount a tmpfs; the test environment runs as root');
    }
    try {
      const path = join(mnt, 'state.json');
      await writeJsonAtomic(path, { good: true });
      const before = readFileSync(path, 'utf8');
      await assert.rejects(writeFileAtomic(path, Buffer.alloc(256 * 1024, 1)), /ENOSPC|short write/);
      assert.equal(readFileSync(path, 'utf8'), before);
      assert.deepEqual(readdirSync(mnt).filter((n) => n.endsWith(TEMP_SUFFIX)), []);
    } finally {
      execFileSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  });

  it('reads corrupt JSON as missing and says why', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{"v": 1');
    const reasons: string[] = [];
    assert.equal(await readJsonFile(path, (v) => v, (why) => reasons.push(why)), undefined);
    assert.match(reasons[0] ?? '', /not valid JSON/);
    assert.equal(await readJsonFile(join(dir, 'missing.json'), (v) => v), undefined);
  });

  it('drops __proto__ keys while parsing', async () => {
    const path = join(dir, 'proto.json');
    writeFileSync(path, '{"__proto__": {"polluted": true}, "ok": 1}');
    const value = await readJsonFile(path, (v) => v as Record<string, unknown>);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(value ?? {}), ['ok']);
  });
});
