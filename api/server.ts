/** The API process: connects to Temporal, serves HTTP, shuts down cleanly on SIGINT/SIGTERM. */
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../core/config.ts';
import { createApp } from './app.ts';
import { loadCells } from '../core/network/cells.ts';
import { loadTenants } from '../core/tenants/tenants.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const connection = await Connection.connect({ address: config.temporalAddress });
  const client = new Client({ connection, namespace: config.namespace });
  const tenants = loadTenants(config.tenantsFile);
  const cells = loadCells(config.cellsFile);
  // npm start runs the twin worker beside the API, so cell sessions check their plans on it.
  const twinCheck = config.twinCheck.enabled
    ? { taskQueue: config.topology.taskQueues.twin, sinrMarginDb: config.twinCheck.sinrMarginDb }
    : undefined;
  const server = createApp(client, config, { tenants, cells, ...(twinCheck ? { twinCheck } : {}) }).listen(
    config.apiPort,
    '127.0.0.1',
    () => {
      console.log(`[api] listening on http://127.0.0.1:${config.apiPort} (OpenAPI at /openapi.json)`);
    },
  );
  const stop = (): void => {
    server.close(() => {
      void connection.close().finally(() => process.exit(0));
    });
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error('[api] fatal:', err);
    process.exit(1);
  });
}
