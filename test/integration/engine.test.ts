import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ErrorCodes } from '../../protocol/src';
import { Engine } from '../../server/src/engine/engine';
import { resolveEndpoint } from '../../server/src/engine/endpoint';
import { cleanupTestObjects, createTestContainer } from '../fixtures/docker';

describe('engine chokepoint against the real engine', () => {
  const engine = new Engine(resolveEndpoint(undefined));
  let id = '';
  before(async () => {
    id = (await createTestContainer()).id;
  });
  after(() => cleanupTestObjects());

  it('exec returns exit code, stdout and stderr separately', async () => {
    const result = await engine.exec(id, { cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
    assert.equal(result.exitCode, 3);
    assert.equal(result.stdout, 'out\n');
    assert.equal(result.stderr, 'err\n');
  });

  it('exec streams stdin to the process and closes it at the end', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 17);
    const expected = createHash('sha256').update(data).digest('hex');
    const chunks = Array.from({ length: 81 }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536));
    const result = await engine.exec(id, { cmd: ['sha256sum'], stdin: Readable.from(chunks) });
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout.split(' ')[0], expected);
  });

  it('putArchive and getArchive round-trip a file', async () => {
    await engine.exec(id, { cmd: ['mkdir', '-p', '/tmp/rt'] });
    const header = Buffer.alloc(512);
    header.write('hello.txt', 0);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write('00000000005\0', 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    const body = Buffer.alloc(512);
    body.write('hello');
    await engine.putArchive(id, '/tmp/rt', Readable.from([header, body, Buffer.alloc(1024)]));
    const cat = await engine.exec(id, { cmd: ['cat', '/tmp/rt/hello.txt'] });
    assert.equal(cat.stdout, 'hello');
    const stream = await engine.getArchive(id, '/tmp/rt/hello.txt');
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    assert.ok(Buffer.concat(chunks).includes(Buffer.from('hello')));
  });

  it('classifies a missing container as NotFound', async () => {
    await assert.rejects(engine.inspectContainer('berth-no-such-container'), (e: { code?: number }) => e.code === ErrorCodes.NotFound);
  });
});
