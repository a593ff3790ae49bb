// The per-workload record of where each plugin was installed from (install/sources.ts): a file
// that cannot be read is never overwritten by the next install (which would forget every other
// plugin's source); it is set aside and reported.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readSources, recordSource } from '../../server/src/install/sources';

const work = mkdtempSync(join(tmpdir(), 'berth-sources-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('plugin source records', () => {
  it('an unreadable sources file is set aside, byte for byte, before a new one is written', async () => {
    const state = join(work, 'state');
    await recordSource(state, 'container:web', 'alpha', '/src/alpha');
    const [file] = readdirSync(join(state, 'plugins'));
    assert.ok(file);
    const damaged = readFileSync(join(state, 'plugins', file)).subarray(0, 30);
    writeFileSync(join(state, 'plugins', file), damaged);
    const reported: string[] = [];
    await recordSource(state, 'container:web', 'beta', '/src/beta', (why) => reported.push(why));
    assert.deepEqual(await readSources(state, 'container:web'), { beta: { folder: '/src/beta' } });
    const kept = readdirSync(join(state, 'plugins')).filter((n) => n !== file);
    assert.equal(kept.length, 1, `the damaged file is kept beside: ${kept.join(', ')}`);
    assert.deepEqual(readFileSync(join(state, 'plugins', kept[0] as string)), damaged);
    assert.equal(reported.length, 1);
  });
});
