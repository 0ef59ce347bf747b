/**
 * Serving the built web UI: files under the bundle directory (hashed assets are cached for a
 * year, index.html never), any other non-API path answered with index.html (the UI routes on
 * the hash). Paths are resolved inside the bundle directory only. Every response carries a
 * Content-Security-Policy that allows nothing but this origin.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // uPlot and sigma set element styles from script.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  // The graph layout runs in a worker created from a blob URL.
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export function securityHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
}

export function staticRoutes(app: FastifyInstance, root: string): void {
  const cache = new Map<string, Buffer>();
  const load = async (path: string): Promise<Buffer | undefined> => {
    const hit = cache.get(path);
    if (hit) return hit;
    try {
      const data = await readFile(path);
      cache.set(path, data);
      return data;
    } catch {
      return undefined;
    }
  };
  const send = async (reply: FastifyReply, rel: string): Promise<FastifyReply> => {
    const path = normalize(join(root, rel));
    if (path !== root && !path.startsWith(root.endsWith(sep) ? root : root + sep))
      return reply.code(404).send();
    let data = await load(path);
    let file = path;
    if (!data) {
      // Unknown paths that look like files are 404s; anything else is a UI route.
      if (extname(rel) !== '') return reply.code(404).send();
      file = join(root, 'index.html');
      data = await load(file);
      if (!data)
        return reply.code(503).type('text/plain').send('dashboard web UI is not built: npm run build:web');
    }
    securityHeaders(reply);
    reply.header(
      'cache-control',
      file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
    );
    return reply.type(TYPES[extname(file)] ?? 'application/octet-stream').send(data);
  };
  app.get('/', (_req, reply) => send(reply, 'index.html'));
  app.get('/*', (req, reply) => {
    const rel = (req.params as { '*': string })['*'];
    if (rel.startsWith('api/'))
      return reply.code(404).send({ error: 'not-found', message: 'no such API route' });
    return send(reply, rel);
  });
}
