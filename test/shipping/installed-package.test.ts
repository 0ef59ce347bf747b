/**
 * The image's file set, without a Docker engine: compile as the build stage does, install only
 * production dependencies from the lockfile as the runtime stage does (`npm ci --omit=dev`),
 * then run the installed `foresight` — `--help`, and the detector against real NATS and
 * PostgreSQL until it has written features and drained on SIGTERM. A runtime import of a dev
 * dependency, a file missing from the build or a broken entry point fails here.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PgDb } from '../../src/detector/store/pg-db.js';
import { silentLogger } from '../../src/observability/logger.js';
import { connectTestNats, deleteStream, uniqueStreamNames } from '../support/nats.js';
import { uniqueSchema } from '../detector/store/support.js';

const repo = resolve(import.meta.dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? ok(addr.port) : fail(new Error('no port'))));
    });
  });
}

describe('the shipped file set [integration]', () => {
  let app: string;

  before(() => {
    app = mkdtempSync(join(tmpdir(), 'foresight-ship-'));
    execFileSync(
      process.execPath,
      [
        join(repo, 'node_modules/typescript/bin/tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        join(app, 'dist'),
      ],
      {
        cwd: repo,
        stdio: 'inherit',
      },
    );
    for (const f of ['package.json', 'package-lock.json', '.npmrc']) cpSync(join(repo, f), join(app, f));
    cpSync(join(repo, 'crds'), join(app, 'crds'), { recursive: true });
    execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: app,
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
      stdio: 'ignore',
    });
  });
  after(() => rmSync(app, { recursive: true, force: true }));

  it('[integration] installs without dev dependencies and explains every subcommand', () => {
    const help = execFileSync(process.execPath, [join(app, 'dist/src/cli.js'), '--help'], {
      encoding: 'utf8',
    });
    for (const cmd of ['detector', 'replay', 'features', 'simulate', 'keygen', 'demo'])
      assert.match(help, new RegExp(`\\n\\s+${cmd}\\b`));
    const devOnly = ['tsx', 'typescript', 'eslint', 'fast-check', 'prettier'];
    const installed = execFileSync('npm', ['ls', '--omit=dev', '--depth=0', '--parseable'], {
      cwd: app,
      encoding: 'utf8',
    });
    for (const dep of devOnly) assert.doesNotMatch(installed, new RegExp(`node_modules/${dep}$`, 'm'), dep);
  });

  it('[integration] runs the detector against real NATS and PostgreSQL, then drains on SIGTERM', async () => {
    const names = uniqueStreamNames('ship');
    const schema = uniqueSchema('t_ship');
    const port = await freePort();
    const config = join(app, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        nats: {
          subjectPrefix: names.subjectPrefix,
          stream: { name: names.stream },
          consumer: { durable: names.durable },
        },
        store: { url: 'postgres://postgres@127.0.0.1:5432/test', schema },
        features: { idleFlushSeconds: 1 },
        http: { host: '127.0.0.1', port },
      }),
    );
    const flows = join(app, 'flows.ndjson');
    execFileSync(process.execPath, [
      join(app, 'dist/src/cli.js'),
      'simulate',
      '--duration',
      '3m',
      '--rate',
      '20',
      '--start',
      '2026-11-02T12:00:00Z',
      '--out',
      flows,
    ]);
    const cli = (...args: string[]) => [join(app, 'dist/src/cli.js'), '--config', config, ...args];
    const nc = await connectTestNats();
    const detector = spawn(process.execPath, cli('detector'), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    detector.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((ok) => detector.once('exit', (code) => ok(code)));
    const db = new PgDb({
      url: 'postgres://postgres@127.0.0.1:5432/test',
      schema,
      poolSize: 1,
      logger: silentLogger(),
    });
    try {
      let ready = false;
      for (let i = 0; i < 150 && !ready; i++) {
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        if (!ready) await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(ready, `detector never became ready:\n${stderr}`);
      execFileSync(process.execPath, cli('replay', flows, '--speed', 'max'), { stdio: 'ignore' });
      let windows = 0;
      for (let i = 0; i < 150 && windows === 0; i++) {
        windows = Number(
          (await db.query<{ n: string }>('SELECT count(*) AS n FROM features')).rows[0]?.n ?? 0,
        );
        if (windows === 0) await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(windows > 0, `no features written:\n${stderr}`);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /^foresight_flows_ingested_total\{format="foresight-ndjson"\} [1-9]/m);
      detector.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
    } finally {
      detector.kill('SIGKILL');
      await db.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await db.close();
      await deleteStream(nc, names.stream);
      await nc.drain();
    }
  });
});
