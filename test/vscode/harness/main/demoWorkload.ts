// Entry point for scripts/demo.sh: `node out/test/vscode/harness/main/demoWorkload.js create|remove`
// with BERTH_DEMO_PREFIX (default berth-demo) and BERTH_DEMO_DIR (the bind mount's host folder).
// Inside a test run (BERTH_TEST_RUN set) the objects also carry the test label.
import { TEST_LABEL } from '../../../fixtures/docker';
import { createDemo, removeDemo } from '../demoWorkload';

function labelsFromEnv(): Record<string, string> {
  const run = process.env.BERTH_TEST_RUN;
  return run ? { [TEST_LABEL]: run } : {};
}

async function main(argv: readonly string[]): Promise<number> {
  const [command] = argv;
  const prefix = process.env.BERTH_DEMO_PREFIX || 'berth-demo';
  if (command === 'create') {
    const dir = process.env.BERTH_DEMO_DIR;
    if (!dir) throw new Error('BERTH_DEMO_DIR is not set');
    const made = await createDemo({ prefix, dir, labels: labelsFromEnv() });
    process.stdout.write(`containers: ${made.containers.join(', ')}; volume: ${made.volumes.join(', ')}\n`);
    return 0;
  }
  if (command === 'remove') {
    await removeDemo(prefix);
    return 0;
  }
  process.stderr.write('usage: demoWorkload.js create|remove (env BERTH_DEMO_PREFIX, BERTH_DEMO_DIR)\n');
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  },
);
