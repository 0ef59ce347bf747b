// A real Kubernetes control plane (etcd + kube-apiserver 1.20 + kube-controller-manager)
// for integration tests, as a thin wrapper over kube-env.sh beside this file.
//
// Owns: one temporary directory per environment (certs, kubeconfig, logs, etcd data)
// and the three processes started in it. It does not build anything: run
// `bash test/support/kube-env.sh build` once beforehand (CI does it in .ci/run).
// Set FORESIGHT_K8S_KEEP=1 to keep the directory (and its logs) after stop().
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface KubeEnv {
  /** Directory holding this environment's state and logs (logs/*.log). */
  dir: string;
  kubeconfigPath: string;
  /** https://127.0.0.1:PORT */
  server: string;
  /** Bearer token of an admin (system:masters) user. */
  token: string;
  /** PEM of the CA that signed the server's certificate. */
  caPem: string;
  /** Stops all three processes and removes dir. Safe to call twice. */
  stop(): Promise<void>;
  /** Stops only kube-apiserver (etcd and the controller-manager keep running). */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again on the same port and waits until it is ready. */
  startApiServer(): Promise<void>;
}

// Next to this module when run from source; from the repo root when this file
// was compiled elsewhere (tsc does not copy .sh files).
function findScript(): string {
  const candidates = [
    fileURLToPath(new URL('./kube-env.sh', import.meta.url)),
    resolve('test/support/kube-env.sh'),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`kube-env.sh not found in: ${candidates.join(', ')}`);
  return found;
}

function runScript(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((done, fail) => {
    execFile(
      'bash',
      [findScript(), ...args],
      { env, timeout: 180_000, maxBuffer: 16 << 20 },
      (error, _stdout, stderr) => {
        if (error) fail(new Error(`kube-env.sh ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        else done();
      },
    );
  });
}

function parseEnvFile(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) vars.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return vars;
}

export async function startKubeEnv(): Promise<KubeEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'foresight-kube-'));
  try {
    // The owner pid lets the script tear everything down if this process dies
    // without calling stop().
    await runScript(['start', dir], { ...process.env, FORESIGHT_K8S_OWNER_PID: String(process.pid) });
  } catch (error) {
    await runScript(['stop', dir]).catch(() => undefined);
    throw new Error(`${(error as Error).message}\n(logs kept in ${dir}/logs)`, { cause: error });
  }

  const vars = parseEnvFile(await readFile(join(dir, 'env'), 'utf8'));
  const need = (name: string): string => {
    const value = vars.get(name);
    if (!value) throw new Error(`${name} missing from ${dir}/env`);
    return value;
  };
  let stopped = false;
  return {
    dir,
    kubeconfigPath: need('KUBECONFIG'),
    server: need('FORESIGHT_K8S_SERVER'),
    token: need('FORESIGHT_K8S_TOKEN'),
    caPem: await readFile(need('FORESIGHT_K8S_CA_FILE'), 'utf8'),
    async stop() {
      if (stopped) return;
      stopped = true;
      await runScript(['stop', dir]);
      if (process.env.FORESIGHT_K8S_KEEP !== '1') await rm(dir, { recursive: true, force: true });
    },
    stopApiServer: () => runScript(['stop-apiserver', dir]),
    startApiServer: () => runScript(['start-apiserver', dir]),
  };
}
