// `npm run lint` part: shellcheck on every shell program in the repository (tracked or new, not
// ignored). The in-container scripts have no shebang (the backend runs them with `sh -c`), so
// each says `# shellcheck shell=sh` on its first line. shellcheck is Debian's package, installed
// by scripts/ensure-engine.sh.
import { execFileSync, spawnSync } from 'node:child_process';

const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '*.sh'], { encoding: 'utf8' })
  .split('\0')
  .filter(Boolean);
const run = spawnSync('shellcheck', ['--format=gcc', ...files], { stdio: 'inherit' });
if (run.error) {
  console.error(`shellcheck could not run (${run.error.message}); install it with scripts/ensure-engine.sh (Debian package shellcheck).`);
  process.exit(2);
}
process.exit(run.status ?? 1);
