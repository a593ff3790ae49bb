import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Writes a new small file inside a temp directory and fsyncs it. The directory itself is
 * fsynced when it is committed (SnapshotStore.commitObject), before the rename that publishes it.
 */
export async function writeNewFileDurable(path: string, text: string): Promise<void> {
  const handle = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
