import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { MANIFEST_FILE } from './manifest';
import { encodeHeader, paddingFor } from './tarEncoder';

const gzipAsync = promisify(gzip);

/**
 * The first gzip member of a portable snapshot file: the tar entry `manifest.json`. The stored
 * data (already a gzip stream of the `0/`, `1/`, … entries and the end-of-archive marker) follows
 * it unchanged, so export is a copy, and the result is one valid gzip tar with the manifest
 * first.
 */
export async function manifestMember(manifestText: string, mtime: number): Promise<Buffer> {
  const body = Buffer.from(manifestText, 'utf8');
  const header = encodeHeader({ path: MANIFEST_FILE, type: 'file', size: body.length, mode: 0o644, uid: 0, gid: 0, mtime });
  return gzipAsync(Buffer.concat([header, body, paddingFor(body.length)]), { level: 6 });
}
