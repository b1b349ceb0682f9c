import type { DevServer } from '../../src/dev/temporal-dev-server';

export default async function teardown(): Promise<void> {
  await (globalThis as { __ripcordDevServer?: DevServer }).__ripcordDevServer?.stop();
}
