// Entry point of code-test-host.sh (the vscodeExecutablePath for @vscode/test-electron).
import { runTestHost } from '../codeTestHost';

void runTestHost(process.argv.slice(2)).then((code) => process.exit(code));
