// Lint enforces the architecture's chokepoints: protocol imports neither vscode nor dockerode;
// only server/src/engine/engine.ts and exec.ts import dockerode; only server/src/archive/ imports tar; the
// backend never writes to stdout (it can be the RPC transport).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (paths, patterns = []) => ['error', { paths, patterns }];
const noDockerode = { name: 'dockerode', message: 'Engine calls go through server/src/engine/engine.ts.' };
const noTar = { name: 'tar', message: 'Archive handling goes through server/src/archive/.' };
const noVscode = { name: 'vscode', message: 'The protocol and the backend must not depend on VS Code.' };

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '**/*.js', '**/*.mjs', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['protocol/src/**/*.ts'], rules: { 'no-restricted-imports': restrict([noVscode, noDockerode, noTar]) } },
  { files: ['server/src/**/*.ts', 'cli/src/**/*.ts'], rules: { 'no-restricted-imports': restrict([noVscode, noDockerode, noTar]) } },
  { files: ['server/src/**/*.ts'], rules: { 'no-console': 'error' } },
  { files: ['server/src/engine/engine.ts', 'server/src/engine/exec.ts'], rules: { 'no-restricted-imports': restrict([noVscode, noTar]) } },
  { files: ['server/src/archive/**/*.ts'], rules: { 'no-restricted-imports': restrict([noVscode, noDockerode]) } },
  { files: ['client/src/**/*.ts'], rules: { 'no-restricted-imports': restrict([noDockerode, noTar]) } },
);
