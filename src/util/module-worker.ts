/**
 * Starts a worker thread on a module next to the caller. From the TypeScript sources (tsx:
 * `npm run demo`, the tests, `--import tsx src/cli.ts`) the worker registers tsx's loader first,
 * since a worker does not inherit the parent's loader hooks; a build runs the compiled file.
 */
import { Worker } from 'node:worker_threads';

/** `callerUrl`: the caller's `import.meta.url`; `name`: the worker module's file name without extension. */
export function spawnModuleWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), { workerData });
  const entry = new URL(`./${name}.ts`, callerUrl).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData });
}
