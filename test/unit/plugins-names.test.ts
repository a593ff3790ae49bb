import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, type Mount, type Workload } from '../../protocol/src';
import { isStamp, newStamp, sanitizeVersion, splitEntry, validatePluginName } from '../../server/src/install/names';
import { mountHolding, resolvePluginRoot, validatePluginRoot } from '../../server/src/install/root';

const rejected = (fn: () => unknown) => assert.throws(fn, (e: { code?: number }) => e.code === ErrorCodes.Rejected);

function workload(labels: Record<string, string> = {}, mounts: Mount[] = []): Workload {
  return {
    id: 'abc',
    identity: { kind: 'container', key: 'container:w', label: 'w' },
    name: 'w',
    image: 'img',
    state: 'running',
    health: 'none',
    status: 'Up',
    created: 0,
    labels,
    mounts,
  };
}

describe('plugin names', () => {
  it('accept one safe segment', () => {
    for (const name of ['demo', 'my-plugin', 'my_plugin.v2', 'A1', 'x'.repeat(100), 'a..b']) assert.equal(validatePluginName(name), name);
  });

  it('refuse empty, dot-names, path separators, unsafe characters and long names', () => {
    for (const name of ['', '.', '..', '.hidden', '../x', 'a/b', 'a\\b', 'a b', '$(id)', '`id`', 'a;b', 'plügin', 'tab\t', 'nl\n', 'x'.repeat(101), 'a\0b']) {
      rejected(() => validatePluginName(name));
    }
  });
});

describe('stamps', () => {
  it('are unique for many installs in the same millisecond and sort by time', () => {
    const now = new Date('2025-03-04T05:06:07.089Z');
    const stamps = new Set(Array.from({ length: 5000 }, () => newStamp(now)));
    assert.equal(stamps.size, 5000);
    const other = newStamp(now, 4242);
    assert.ok(!stamps.has(other), 'another process differs by PID');
    for (const s of stamps) assert.ok(isStamp(s), s);
    assert.ok(newStamp(new Date('2025-03-04T05:06:07.090Z')) > newStamp(now), 'later stamps sort after earlier ones');
    assert.match(other, /^20250304T050607089Z-4242-[0-9a-f]{12}$/);
  });

  it('split <name>.<stamp> at the last dot', () => {
    assert.deepEqual(splitEntry('my.plugin.20250304T050607089Z-1-abcdef'), { name: 'my.plugin', stamp: '20250304T050607089Z-1-abcdef' });
    assert.equal(splitEntry('plugin'), undefined);
    assert.equal(splitEntry('.20250304T050607089Z-1-abcdef'), undefined);
    assert.equal(splitEntry('x.notastamp'), undefined);
  });
});

describe('manifest versions', () => {
  it('keep short safe tokens only', () => {
    assert.equal(sanitizeVersion('1.2.3-beta+7'), '1.2.3-beta+7');
    assert.equal(sanitizeVersion(' 2.0 '), '2.0');
    for (const bad of [1, '', 'a b', '"x"', 'x'.repeat(65), '1.0\nevil', undefined, null]) assert.equal(sanitizeVersion(bad), undefined);
  });
});

describe('plugin roots', () => {
  it('validate: absolute, not /, no .., no control characters; normalized', () => {
    assert.equal(validatePluginRoot('/configs/plugins/', 'x'), '/configs/plugins');
    assert.equal(validatePluginRoot('/a//b/./c', 'x'), '/a/b/c');
    for (const bad of ['relative', '', '/', '//', '/a/../b', '/a/..', '/a\nb', '/a\\b', `/${'x'.repeat(1100)}`, '/p/.staging', '/p/.previous']) {
      rejected(() => validatePluginRoot(bad, 'x'));
    }
  });

  it('resolve: the label wins over the setting, the setting over the default', () => {
    const setting = (value: string) => ({ value, source: 'setting' as const, from: 'the berth.plugins.root setting' });
    assert.deepEqual(resolvePluginRoot(workload(), undefined), { path: '/configs/plugins', source: 'default' });
    assert.deepEqual(resolvePluginRoot(workload(), setting('/opt/p')), { path: '/opt/p', source: 'setting' });
    assert.deepEqual(resolvePluginRoot(workload(), { value: '/opt/q', source: 'request', from: '--root' }), { path: '/opt/q', source: 'request' });
    assert.deepEqual(resolvePluginRoot(workload({ 'berth.plugins.root': '/srv/plugins' }), setting('/opt/p')), { path: '/srv/plugins', source: 'label' });
    rejected(() => resolvePluginRoot(workload({ 'berth.plugins.root': '../x' }), setting('/opt/p')));
    rejected(() => resolvePluginRoot(workload(), setting('/')));
  });

  it('an unusable root is blamed on where it came from: --root, the variable, the setting or the label', () => {
    const blame = (run: () => unknown): string => {
      try {
        run();
      } catch (error) {
        return (error as Error).message;
      }
      return assert.fail('not rejected');
    };
    const byFlag = blame(() => resolvePluginRoot(workload(), { value: 'relative', source: 'request', from: '--root' }));
    assert.match(byFlag, /from --root/);
    assert.doesNotMatch(byFlag, /setting/);
    assert.match(blame(() => resolvePluginRoot(workload(), { value: '/', source: 'environment', from: 'BERTH_PLUGINS_ROOT' })), /from BERTH_PLUGINS_ROOT/);
    assert.match(blame(() => resolvePluginRoot(workload({ 'berth.plugins.root': '/a/../b' }), { value: '/ok', source: 'request', from: '--root' })), /label berth\.plugins\.root/);
  });

  it('find the mount that holds the root (the longest target)', () => {
    const mounts: Mount[] = [
      { type: 'volume', name: 'cfg', source: '/var/lib/docker/volumes/cfg', target: '/configs', readOnly: false, anonymous: false },
      { type: 'bind', source: '/host/p', target: '/configs/plugins', readOnly: true, anonymous: false },
      { type: 'tmpfs', source: '', target: '/tmp', readOnly: false, anonymous: false },
    ];
    assert.equal(mountHolding(workload({}, mounts), '/configs/plugins')?.source, '/host/p');
    assert.equal(mountHolding(workload({}, mounts), '/configs/other')?.name, 'cfg');
    assert.equal(mountHolding(workload({}, mounts), '/configsx'), undefined);
    assert.equal(mountHolding(workload({}, mounts), '/opt'), undefined);
  });
});
