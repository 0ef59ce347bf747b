/**
 * A dashboard server over a real store (PGlite or PostgreSQL's `test` database in a unique
 * schema) with the store backends and a Monitor engine on one demo policy (`shop/default`), plus
 * seeding helpers: feature windows, verdicts and an incident.
 */
import { CryptoPan } from '../../src/flows/anonymizer.js';
import { generateKey } from '../../src/flows/anonymizer-key.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { ControllerAuditStore } from '../../src/detector/store/controller-audit.js';
import type { Db } from '../../src/detector/store/db.js';
import { FeatureStore } from '../../src/detector/store/feature-store.js';
import { FlowSampleStore } from '../../src/detector/store/flow-samples.js';
import { ModelRegistry } from '../../src/detector/store/model-registry.js';
import { VerdictStore } from '../../src/detector/store/verdict-store.js';
import type { Verdict } from '../../src/detector/scoring/verdict.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createRegistry } from '../../src/observability/metrics.js';
import { revealer } from '../../src/controller/incidents/resolve.js';
import { StaticTokenAccess } from '../../src/dashboard/server/access.js';
import { createDashboardServer, type DashboardServer } from '../../src/dashboard/server/server.js';
import type { AccessControl } from '../../src/dashboard/server/types.js';
import { defaultPolicy } from '../../src/dashboard/demo/default-policies.js';
import { MonitorEngine } from '../../src/dashboard/demo/monitor-engine.js';
import { simClusterView } from '../../src/dashboard/demo/sim-cluster.js';
import { StoreIncidentBackend, StoreRuleBackend } from '../../src/dashboard/demo/store-backends.js';
import { dropAndClose, openTestDb, storeConfig, type Backend } from '../detector/store/support.js';

export const TOKEN = 'test-token-0123456789abcdef';
export const NOW = Date.UTC(2026, 10, 2, 12, 0, 0);

export interface TestDashboard {
  server: DashboardServer;
  db: Db;
  engine: MonitorEngine;
  store: FeatureStore;
  verdicts: VerdictStore;
  registry: ModelRegistry;
  anonymizer: CryptoPan;
  config: Config;
  close(): Promise<void>;
}

export async function testDashboard(
  backend: Backend,
  options: { access?: AccessControl; webRoot?: string } = {},
): Promise<TestDashboard> {
  const { access, webRoot } = options;
  const storeCfg = storeConfig(backend);
  const config = parseConfig({ store: { kind: backend, schema: storeCfg.schema } });
  const db = await openTestDb(storeCfg);
  const metrics = createRegistry({ defaultMetrics: false });
  const store = new FeatureStore(db, storeCfg, { logger: silentLogger(), registry: metrics, ownsDb: false });
  await store.migrate();
  const anonymizer = new CryptoPan(generateKey());
  const view = simClusterView(undefined);
  const policies = [defaultPolicy('shop')];
  const engine = new MonitorEngine({
    db,
    audit: new ControllerAuditStore(db),
    policies,
    view,
    reveal: revealer(anonymizer),
    guard: { protectedNamespaces: new Set(['kube-system']), operatorLabels: {} },
    feedback: { falsePositiveStep: 0.1, maxOffset: 0.3 },
    now: () => NOW,
    logger: silentLogger(),
  });
  const verdicts = new VerdictStore(db, store.partitions);
  const registry = new ModelRegistry(db);
  const server = createDashboardServer(
    {
      db,
      registry,
      verdicts,
      flows: new FlowSampleStore(db, store.partitions),
      incidents: new StoreIncidentBackend(engine),
      rules: new StoreRuleBackend(engine, () =>
        policies.map((p) => ({
          key: `${p.metadata.namespace}/${p.metadata.name}`,
          namespace: p.metadata.namespace ?? '',
          name: p.metadata.name ?? '',
          mode: p.spec.mode,
          podSelector: p.spec.podSelector,
          incidentThreshold: p.spec.incidentThreshold,
        })),
      ),
      access: access ?? new StaticTokenAccess(TOKEN, { name: 'tester', groups: [] }),
      anonymizer,
      config,
      logger: silentLogger(),
      now: () => NOW,
      mode: 'demo',
      liveIntervalMs: 50,
      ...(webRoot ? { webRoot } : {}),
    },
    metrics,
  );
  return {
    server,
    db,
    engine,
    store,
    verdicts,
    registry,
    anonymizer,
    config,
    async close() {
      await server.close();
      await dropAndClose(db);
    },
  };
}

export function verdict(entity: string, end: number, threat: number, over: Partial<Verdict> = {}): Verdict {
  return {
    version: 1,
    id: `${entity}@${end}`,
    entity: {
      kind: 'source',
      key: entity,
      namespace: 'shop',
      workload: entity.split('/')[1] ?? entity,
      addresses: [],
    },
    targets: [],
    window: { start: end - 60_000, end },
    scoredAt: end,
    scores: { anomaly: threat, impact: 0.5, confidence: 0.6, threat },
    detectors: [{ detector: 'isolation-forest', score: threat, raw: threat }],
    explanation: {
      summary: `unusual fan-out from ${entity}`,
      features: [{ name: 'dst_port_count', value: 40, baseline: 3, deviation: 9 }],
    },
    models: { 'source/isolation-forest': 1 },
    ...over,
  };
}

export const auth = { authorization: `Bearer ${TOKEN}` };
