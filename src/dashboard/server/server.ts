/**
 * The dashboard HTTP server (fastify): the JSON API under /api, the live stream, and the built
 * web UI. Every /api request needs a bearer token (access.ts); changes additionally need JSON and
 * an allowed Origin. Errors come back as `{ error: <code>, message }` with a status from the
 * ForesightError code, and are counted with the request time in Prometheus metrics.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { ForesightError, errorMessage } from '../../errors.js';
import { counter, histogram, type Registry } from '../../observability/metrics.js';
import { bearerToken, isJson, originAllowed } from './access.js';
import type { DashboardDeps, RouteContext } from './context.js';
import { ForecastView } from './forecast-view.js';
import { ResponseCache } from './response-cache.js';
import { Rollups } from './rollups.js';
import { LiveHub } from './live.js';
import { liveSource } from './live-source.js';
import { graphRoutes } from './routes/graph.js';
import { incidentRoutes } from './routes/incidents.js';
import { modelRoutes } from './routes/models.js';
import { overviewRoutes } from './routes/overview.js';
import { ruleRoutes } from './routes/rules.js';
import { securityHeaders, staticRoutes } from './static.js';

export interface DashboardServer {
  app: FastifyInstance;
  live: LiveHub;
  /** Starts listening; resolves with the bound port. */
  listen(options: { host: string; port: number }): Promise<number>;
  close(): Promise<void>;
}

const STATUS: [RegExp, number][] = [
  [/-not-found$/, 404],
  [/^dashboard-unauthenticated$/, 401],
  [/^dashboard-forbidden$/, 403],
  [/-exists$|-conflict$|^registry-/, 409],
  [/-invalid$|^feedback-invalid$/, 400],
  [/^dashboard-no-key$|^dashboard-unsupported$/, 501],
];

export function statusFor(err: unknown): number {
  if (err instanceof ForesightError) {
    for (const [re, status] of STATUS) if (re.test(err.code)) return status;
    return 500;
  }
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : 500;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const UNCACHED = new Set(['/api/stream', '/api/session']);

export function createDashboardServer(deps: DashboardDeps, metrics: Registry): DashboardServer {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, forceCloseConnections: true });
  const windowMs = deps.config.features.windowSeconds * 1000;
  const forecasts = new ForecastView(deps.registry, 10_000);
  const rollups =
    deps.rollups ?? new Rollups(deps.db, windowMs, deps.settleMs ?? 0, deps.config.scoring.actionThreshold);
  const base = { ...deps, forecasts, rollups, windowMs };
  const live = new LiveHub(liveSource(base), {
    intervalMs: deps.liveIntervalMs ?? 2000,
    logger: deps.logger,
  });
  const ctx: RouteContext = { ...base, live };
  const seconds = histogram(
    metrics,
    'foresight_dashboard_request_seconds',
    'Dashboard API request time',
    ['route', 'status'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );
  const errors = counter(metrics, 'foresight_dashboard_errors_total', 'Dashboard API requests that failed', [
    'code',
  ]);
  const allowedOrigins = deps.allowedOrigins ?? [];
  const cacheMs = deps.cacheMs ?? 1000;
  const cache = new ResponseCache(cacheMs);

  // The demo's ingest holds back while a request is in flight (docs/adr/0013).
  let inFlight = 0;
  const settle = () => {
    inFlight = Math.max(0, inFlight - 1);
    deps.onInFlight?.(inFlight);
  };

  app.decorateRequest('principal', undefined);
  app.decorateRequest('fillCache', undefined);
  app.addHook('onRequest', (req, _reply, done) => {
    if (req.url.startsWith('/api/') && !req.url.startsWith('/api/stream')) {
      inFlight++;
      deps.onInFlight?.(inFlight);
      req.raw.once('close', settle);
    }
    done();
  });
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/api/')) return;
    securityHeaders(reply);
    reply.header('cache-control', 'no-store');
    if (MUTATING.has(req.method)) {
      if (!originAllowed(req.headers.origin, req.headers.host, { allowedOrigins })) {
        return reply
          .code(403)
          .send({ error: 'dashboard-origin', message: 'cross-origin changes are not allowed' });
      }
      if (req.method !== 'DELETE' && !isJson(req.headers['content-type'])) {
        return reply
          .code(415)
          .send({ error: 'dashboard-content-type', message: 'changes must be sent as application/json' });
      }
    }
    const token = bearerToken(req.headers.authorization);
    const principal = token === undefined ? undefined : await deps.access.authenticate(token);
    if (!principal) {
      reply.header('www-authenticate', 'Bearer realm="foresight"');
      return reply
        .code(401)
        .send({ error: 'dashboard-unauthenticated', message: 'a valid bearer token is required' });
    }
    req.principal = principal;
    if (req.method === 'GET' && cacheMs > 0 && !UNCACHED.has(req.url.split('?')[0]!)) {
      const taken = await cache.take(`${principal.name} ${req.url}`);
      if ('body' in taken) {
        return reply
          .header('content-type', 'application/json; charset=utf-8')
          .header('x-cache', 'hit')
          .send(taken.body);
      }
      req.fillCache = taken.fill;
      req.raw.once('close', () => taken.fill(undefined));
    } else if (MUTATING.has(req.method)) cache.clear();
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const fill = req.fillCache;
    if (fill) fill(reply.statusCode === 200 && typeof payload === 'string' ? payload : undefined);
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    if (!req.url.startsWith('/api/') || req.url.startsWith('/api/stream')) return;
    seconds.observe(
      { route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.setErrorHandler((err, req, reply) => {
    const status = statusFor(err);
    const code = err instanceof ForesightError ? err.code : status === 500 ? 'internal' : 'bad-request';
    errors.inc({ code });
    if (status >= 500) deps.logger.error(`dashboard ${req.method} ${req.url} failed: ${errorMessage(err)}`);
    return reply.code(status).send({
      error: code,
      message: status >= 500 && code === 'internal' ? 'internal error' : errorMessage(err),
    });
  });

  app.get('/healthz', () => ({ ok: true }));
  app.get('/api/stream', (req, reply) => {
    reply.hijack();
    live.attach(reply.raw);
  });
  overviewRoutes(app, ctx);
  incidentRoutes(app, ctx);
  graphRoutes(app, ctx);
  ruleRoutes(app, ctx);
  modelRoutes(app, ctx);
  if (deps.webRoot) staticRoutes(app, deps.webRoot);

  return {
    app,
    live,
    async listen({ host, port }) {
      await app.listen({ host, port });
      const address = app.server.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    async close() {
      await live.close();
      await app.close();
    },
  };
}
