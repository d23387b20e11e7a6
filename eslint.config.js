// Lint rules that keep the architecture honest (see ../shared/design/architecture.md).
import tseslint from 'typescript-eslint';

const ioModules = [
  'node:fs', 'node:fs/promises', 'fs', 'fs/promises', 'node:net', 'net', 'node:http', 'http',
  'node:https', 'https', 'node:tls', 'tls', 'node:dgram', 'dgram', 'node:child_process', 'child_process',
  'node:os', 'os', 'node:process', 'process',
];
const adapterPackages = ['fastify', 'fastify/*', '@fastify/*', 'better-sqlite3', 'pg', 'kysely', 'pino', 'aedes', 'mqtt', 'coap', 'commander', 'prom-client'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'console/dist/**', 'data/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The core does no I/O: protocol code and use cases import no driver, framework or node I/O module.
    files: ['src/lorawan/**/*.ts', 'src/joinserver/**/*.ts', 'src/claiming/**/*.ts', 'src/events/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ioModules.map((name) => ({ name, message: 'The core does no I/O: take it through a port.' })),
        patterns: [
          { group: adapterPackages, message: 'The core imports no adapter: wire it in src/main.ts.' },
          { group: ['**/storage/**', '**/transport/**', '**/cli/**', '**/config/**', '**/main.js'], message: 'The core depends on ports, not adapters.' },
        ],
      }],
      'no-restricted-globals': ['error', { name: 'process', message: 'The core reads no environment: take it through config.' }],
    },
  },
);
