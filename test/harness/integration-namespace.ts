import { readdirSync } from 'node:fs';
import { basename, resolve } from 'node:path';

/**
 * Every integration test file gets a namespace of its own on the tier's one
 * dev server. Guardians are scoped by namespace exactly as in production: a
 * newer guardian of the same service and environment supersedes an older one.
 * Two test files that both guard the example policy's `checkout` at the same
 * moment would otherwise stop each other's guardians.
 */
export function namespaceForTestFile(testPath: string): string {
  return `it-${basename(testPath).replace(/\.test\.ts$/, '')}`;
}

/** The namespaces global setup creates: one per file in test/integration. */
export function integrationNamespaces(): string[] {
  const dir = resolve(__dirname, '..', 'integration');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.test.ts'))
    .map(namespaceForTestFile);
}
