import { startDevServer, type DevServer } from '../../src/dev/temporal-dev-server';
import { findFreePort } from '../../src/dev/ports';
import { integrationNamespaces } from './integration-namespace';

/**
 * Starts one real Temporal dev server (in memory, free ports) for the whole
 * integration tier. Test files find it through RIPCORD_TEST_TEMPORAL_ADDRESS,
 * which the jest workers inherit because they are forked after this runs.
 * Each test file works in a namespace of its own (integration-namespace.ts).
 */
export default async function setup(): Promise<void> {
  const port = await findFreePort();
  const uiPort = await findFreePort();
  const server = await startDevServer({ port, uiPort, extraNamespaces: integrationNamespaces() });
  process.env.RIPCORD_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.RIPCORD_TEST_TEMPORAL_UI = server.uiUrl;
  (globalThis as { __ripcordDevServer?: DevServer }).__ripcordDevServer = server;
}
