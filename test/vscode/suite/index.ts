// The extensionTestsPath of the vscode-API tests: runs every `*.suite.js` next to this file (one
// per feature, each exporting `suite`) inside the VS Code extension host, one after another.
// BERTH_VSCODE_SUITE=<name> runs only <name>.suite.js.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { activateBerth } from './berthApi';
import { runCases, type Suite } from './runner';

export async function run(): Promise<void> {
  const only = process.env.BERTH_VSCODE_SUITE;
  const files = readdirSync(__dirname)
    .filter((name) => name.endsWith('.suite.js') && (!only || name === `${only}.suite.js`))
    .sort();
  if (files.length === 0) throw new Error(`No suites in ${__dirname}${only ? ` named ${only}` : ''}`);
  const berth = await activateBerth();
  const failed: string[] = [];
  for (const file of files) {
    // Each suite is its own bundle, loaded at run time.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { suite } = require(join(__dirname, file)) as { suite: Suite };
    try {
      const { cases, after } = await suite.prepare(berth);
      const failures = await runCases(suite.title, cases, after ? { after } : {});
      if (failures > 0) failed.push(`${suite.title} (${failures})`);
    } catch (error) {
      console.log(`✖ ${suite.title}: setup failed\n${(error as Error).stack ?? String(error)}`);
      failed.push(`${suite.title} (setup)`);
    }
  }
  if (failed.length > 0) throw new Error(`Failed suites: ${failed.join('; ')}`);
}
