/**
 * `foresight dashboard`: the dashboard for a cluster deployment — the JSON API, the live stream
 * and the web UI over the store (PostgreSQL) and the Kubernetes API: incidents are ThreatIncident
 * objects, alert rules live in ThreatPolicies, access is decided by TokenReview and
 * SubjectAccessReview (docs/adr/0013-dashboard.md). Runs beside the controller, read-mostly.
 */
import { existsSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { KubeClient } from '../controller/k8s/client.js';
import { loadKubeConfig } from '../controller/controller.js';
import { FlowSampleStore } from '../detector/store/flow-samples.js';
import { ModelRegistry } from '../detector/store/model-registry.js';
import { VerdictStore } from '../detector/store/verdict-store.js';
import { KubeIncidentBackend, KubeRuleBackend } from '../dashboard/kube-backends.js';
import { StaticTokenAccess } from '../dashboard/server/access.js';
import { ensureWebBundle, webPaths } from '../dashboard/server/bundle.js';
import { KubernetesAccess } from '../dashboard/server/kube-access.js';
import { createDashboardServer } from '../dashboard/server/server.js';
import { serveMetrics } from '../observability/metrics.js';
import { commandContext } from './context.js';
import { anonymizerFrom, openFeatureStore, shutdownSignal } from './runtime.js';

interface DashboardFlags {
  port: number;
  host: string;
  allowedOrigin: string[];
  tokenFile?: string;
}

export function dashboardCommand(): Command {
  return new Command('dashboard')
    .summary('Serve the dashboard (API, live stream, web UI) over the store and the Kubernetes API')
    .description(
      'Serve the dashboard for a cluster deployment: traffic, forecasts, scores, incidents (ThreatIncident ' +
        'objects), actions, the connection graph, alert rules (kept in ThreatPolicies) and the model registry. ' +
        'Callers sign in with a bearer token that the API server checks (TokenReview); what they may do is ' +
        'decided by SubjectAccessReview. The service account needs system:auth-delegator.',
    )
    .option('--port <port>', 'listen port', (v) => Number.parseInt(v, 10), 8080)
    .option('--host <host>', 'listen address', '0.0.0.0')
    .option('--allowed-origin <origin...>', 'public origins (behind a proxy) allowed to make changes', [])
    .option(
      '--token-file <file>',
      'a static token instead of Kubernetes access review (full rights; no cluster needed for sign-in)',
    )
    .action(async (flags: DashboardFlags, cmd: Command) => {
      const ctx = commandContext(cmd);
      const signal = shutdownSignal(ctx);
      const cc = ctx.config.controller;
      const client = new KubeClient(loadKubeConfig(cc.kubeconfig), { fieldManager: 'foresight-dashboard' });
      const store = await openFeatureStore(ctx, signal);
      const paths = webPaths();
      const webRoot = existsSync(join(paths.out, 'index.html'))
        ? paths.out
        : await ensureWebBundle(ctx.logger, paths);
      const access = flags.tokenFile
        ? new StaticTokenAccess(readFileSync(flags.tokenFile, 'utf8').trim(), {
            name: 'token-file',
            groups: [],
          })
        : new KubernetesAccess(client, { namespaces: cc.namespaces });
      const server = createDashboardServer(
        {
          db: store.db,
          registry: new ModelRegistry(store.db),
          verdicts: new VerdictStore(store.db, store.partitions),
          flows: new FlowSampleStore(store.db, store.partitions),
          incidents: new KubeIncidentBackend(client, cc.namespaces),
          rules: new KubeRuleBackend(client, cc.namespaces),
          access,
          anonymizer: anonymizerFrom(ctx),
          config: ctx.config,
          logger: ctx.logger,
          now: Date.now,
          mode: 'cluster',
          allowedOrigins: flags.allowedOrigin,
          webRoot,
          // Several detectors write windows: give late ones two window lengths before rollups settle.
          settleMs: 2 * ctx.config.features.windowSeconds * 1000,
        },
        ctx.registry,
      );
      const port = await server.listen({ host: flags.host, port: flags.port });
      const metrics = await serveMetrics(ctx.registry, {
        host: ctx.config.http.host,
        port: ctx.config.http.port,
      });
      ctx.logger.info(`dashboard on http://${flags.host}:${port}, metrics on :${metrics.port}`);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      await server.close();
      await metrics.close();
      client.close();
      await store.close();
    });
}
