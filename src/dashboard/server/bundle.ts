/**
 * Where the built web UI is, and building it when it is missing or older than its sources. The
 * bundle is built by `npm run build:web` (vite; part of `npm run build` and the image's build
 * stage) into `dist/web` of the package; a checkout that has not built it yet (`npm run demo`
 * right after `npm ci`, the browser tests) builds it here, through vite's API, because vite is
 * there as a dev dependency. Production images ship the bundle and never import vite.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ForesightError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type * as Vite from 'vite';

/** The package root: the nearest directory above this module holding package.json. */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new ForesightError('dashboard-bundle', `no package.json above ${from}`);
    dir = up;
  }
}

export interface WebPaths {
  /** vite's root: index.html and the TypeScript sources (present in a checkout only). */
  source: string;
  /** Build output, served by the dashboard. */
  out: string;
}

export function webPaths(root = packageRoot()): WebPaths {
  return { source: join(root, 'src', 'dashboard', 'web'), out: join(root, 'dist', 'web') };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** True when the bundle is absent, or the sources (when present) are newer than it. */
export function bundleStale(paths = webPaths()): boolean {
  const index = join(paths.out, 'index.html');
  if (!existsSync(index)) return true;
  if (!existsSync(paths.source)) return false;
  return newestMtime(paths.source) > statSync(index).mtimeMs;
}

/** Runs vite's production build for the web UI into `paths.out`. */
export async function buildWebBundle(paths = webPaths()): Promise<void> {
  if (!existsSync(paths.source)) {
    throw new ForesightError(
      'dashboard-bundle',
      `no web UI sources at ${paths.source} and no bundle at ${paths.out}`,
    );
  }
  let vite: typeof Vite;
  try {
    vite = await import('vite');
  } catch (err) {
    throw new ForesightError(
      'dashboard-bundle',
      'the dashboard bundle is not built and vite is not installed: run `npm ci && npm run build:web`',
      {
        cause: err,
      },
    );
  }
  await vite.build({
    root: paths.source,
    configFile: join(paths.source, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: resolve(paths.out), emptyOutDir: true },
  });
}

/** The bundle directory, built first when stale (and buildable). */
export async function ensureWebBundle(logger: Logger, paths = webPaths()): Promise<string> {
  if (bundleStale(paths)) {
    logger.info('building the dashboard web UI (vite)…');
    const started = performance.now();
    await buildWebBundle(paths);
    logger.info(`dashboard web UI built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return paths.out;
}
