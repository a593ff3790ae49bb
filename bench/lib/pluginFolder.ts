// The plugin the install benchmarks use: the "1 MiB plugin of about 130 files".
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function makePlugin(dir: string): void {
  const files = 130;
  const total = 1024 * 1024;
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `d${i % 8}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.bin`), randomBytes(Math.floor(total / files)));
  }
  writeFileSync(join(dir, 'plugin.json'), JSON.stringify({ version: '1.0.0' }));
}
