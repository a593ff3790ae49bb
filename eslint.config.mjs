// Lint enforces the architecture's chokepoints: protocol imports neither vscode nor dockerode;
// only server/src/engine/engine.ts and exec.ts import dockerode; only server/src/archive/ imports tar; the
// backend never writes to stdout (it can be the RPC transport); the client and the protocol's
// request files take only types from the param schemas (protocol/src/params/), so zod stays out
// of dist/extension.js.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (paths, patterns = []) => ['error', { paths, patterns }];
const noDockerode = { name: 'dockerode', message: 'Engine calls go through server/src/engine/engine.ts.' };
const noTar = { name: 'tar', message: 'Archive handling goes through server/src/archive/.' };
const noVscode = { name: 'vscode', message: 'The protocol and the backend must not depend on VS Code.' };
// The param schemas run only in the backend and the CLI; everyone else imports their types.
const typesOnly = (group, message) =>
  ['error', { paths: [{ name: 'zod', message }, { name: 'zod/mini', message }], patterns: [{ group, allowTypeImports: true, message }] }];
const schemasStayOut = 'Import only types from protocol/src/params/ here: its schemas (and zod) must stay out of dist/extension.js.';

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
  { files: ['client/src/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': typesOnly(['**/protocol/src/params', '**/protocol/src/params/*'], schemasStayOut) } },
  { files: ['protocol/src/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': typesOnly(['./params', './params/*'], schemasStayOut) } },
);
