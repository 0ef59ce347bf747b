/** The demo worker's failures reach the caller of startDemo with their reason, and nothing is left running. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseConfig } from '../../../src/config/load.js';
import { ForesightError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createRegistry } from '../../../src/observability/metrics.js';
import { startDemo } from '../../../src/dashboard/demo/start-demo.js';

it('fails with the worker’s reason when the flow file cannot be opened', async () => {
  await assert.rejects(
    startDemo({
      config: parseConfig({ store: { kind: 'pglite' } }),
      logger: silentLogger(),
      metrics: createRegistry({ defaultMetrics: false }),
      host: '127.0.0.1',
      port: 0,
      speed: 20,
      hours: 1,
      rate: 10,
      seed: 1,
      trainMinutes: 10,
      file: '/nonexistent/flows.ndjson',
      web: false,
    }),
    (err: unknown) =>
      err instanceof ForesightError && err.code === 'demo-failed' && /nonexistent/.test(err.message),
  );
});
