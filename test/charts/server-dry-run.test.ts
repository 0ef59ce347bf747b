/**
 * The rendered chart against a real API server (Kubernetes 1.20, test/support/kube-env): every
 * value set is accepted by `kubectl apply --dry-run=server` (kubectl validates against the
 * server's OpenAPI, admission runs on the server), and the RBAC, applied for real, grants what
 * each mode promises and no more (`kubectl auth can-i` as the components' service accounts).
 *
 * Then a real `helm install`, upgrade, uninstall and reinstall: the generated anonymization key
 * survives all of them (lookup on upgrade, resource-policy keep on uninstall).
 *
 * The CRDs go first, as helm installs crds/ before the templates. ServiceMonitor, PrometheusRule
 * and Calico's Tier are not served by this server: fixtures/third-party-crds.yaml stands in for
 * them (trimmed schemas), so those objects are checked against the fields the chart uses.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { runHelm, runKubectl } from '../support/helm.js';
import { startKubeEnv, type KubeEnv } from '../support/kube-env.js';
import { CHART, NAMESPACE, VALUE_SETS, parseManifests, render, valueFiles } from './support.js';

const RBAC_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

describe('the chart on a real API server [integration]', () => {
  let env: KubeEnv;
  let dir: string;
  const kubectl = async (...args: string[]) => {
    const r = await runKubectl(['--kubeconfig', env.kubeconfigPath, ...args]);
    return { ...r, output: r.stdout + r.stderr };
  };
  const must = async (...args: string[]) => {
    const r = await kubectl(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}:\n${r.output}`);
    return r.stdout;
  };
  const canI = async (sa: string, ...args: string[]) => {
    const r = await kubectl('auth', 'can-i', ...args, `--as=system:serviceaccount:${NAMESPACE}:${sa}`);
    return r.stdout.trim() === 'yes';
  };

  before(async () => {
    env = await startKubeEnv();
    dir = mkdtempSync(join(tmpdir(), 'foresight-chart-'));
    await must(
      'apply',
      '-f',
      join(CHART, 'crds'),
      '-f',
      join(import.meta.dirname, 'fixtures/third-party-crds.yaml'),
    );
    for (const ns of [NAMESPACE, 'shop', 'payments', 'monitoring']) await must('create', 'namespace', ns);
    await must('wait', '--for=condition=established', '--timeout=60s', 'crd', '--all');
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await env?.stop();
  });

  for (const set of Object.keys(VALUE_SETS)) {
    it(`[integration] accepts every object of the ${set} values (server-side dry run)`, async () => {
      // The server's version decides the API versions, as helm install would.
      const text = await render({ files: valueFiles(set), kubeVersion: '1.20.2' });
      const file = join(dir, `${set}.yaml`);
      writeFileSync(file, text);
      const out = await must('apply', '--dry-run=server', '--validate=true', '-f', file);
      const applied = out.split('\n').filter((l) => l.endsWith('(server dry run)')).length;
      assert.equal(applied, parseManifests(text).length, out);
    });
  }

  it('[integration] refuses an object the server would refuse (the dry run is not a no-op)', async () => {
    const text = await render({ kubeVersion: '1.20.2' });
    const broken = text.replace(/maxUnavailable: 1/, 'maxUnavailable: -1');
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, broken);
    const r = await kubectl('apply', '--dry-run=server', '-f', file);
    assert.notEqual(r.code, 0);
    assert.match(r.output, /maxUnavailable/);
  });

  it('[integration] cluster-wide RBAC: the controller acts everywhere, the others only read what they need', async () => {
    const text = await render({ kubeVersion: '1.20.2', set: ['detector.readPods=true'] });
    const docs = parseManifests(text).filter((m) => RBAC_KINDS.has(m.kind));
    const file = join(dir, 'rbac-cluster.yaml');
    writeFileSync(file, docs.map((d) => yaml.dump(d)).join('---\n'));
    await must('apply', '-f', file);
    try {
      const controller = 'foresight-controller';
      assert.ok(await canI(controller, 'patch', 'pods', '-n', 'shop'));
      assert.ok(await canI(controller, 'create', 'networkpolicies.networking.k8s.io', '-n', 'payments'));
      assert.ok(await canI(controller, 'update', 'threatincidents.foresight.dev/status', '-n', 'shop'));
      assert.ok(await canI(controller, 'watch', 'namespaces'));
      assert.ok(await canI(controller, 'update', 'leases.coordination.k8s.io', '-n', NAMESPACE));
      assert.ok(!(await canI(controller, 'update', 'leases.coordination.k8s.io', '-n', 'shop')));
      assert.ok(
        !(await canI(controller, 'delete', 'pods', '-n', 'shop')),
        'the controller never deletes pods',
      );
      assert.ok(!(await canI(controller, 'list', 'secrets', '-n', 'shop')), 'secrets: get by name only');
      const detector = 'foresight-detector';
      assert.ok(await canI(detector, 'watch', 'pods', '--all-namespaces'));
      assert.ok(!(await canI(detector, 'patch', 'pods', '-n', 'shop')));
      assert.ok(!(await canI(detector, 'list', 'threatpolicies.foresight.dev', '-n', 'shop')));
      const dashboard = 'foresight-dashboard';
      assert.ok(await canI(dashboard, 'create', 'tokenreviews.authentication.k8s.io'));
      assert.ok(await canI(dashboard, 'create', 'subjectaccessreviews.authorization.k8s.io'));
      assert.ok(await canI(dashboard, 'patch', 'threatpolicies.foresight.dev', '-n', 'shop'));
      assert.ok(!(await canI(dashboard, 'delete', 'threatincidents.foresight.dev', '-n', 'shop')));
    } finally {
      await must('delete', '-f', file, '--wait=false');
    }
  });

  it('[integration] keeps the generated anonymization key across upgrade, uninstall and reinstall', async () => {
    const ns = 'foresight-helm';
    const helm = async (...args: string[]) => {
      const r = await runHelm([...args, '--namespace', ns, '--kubeconfig', env.kubeconfigPath]);
      assert.equal(r.code, 0, `helm ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
      return r.stdout;
    };
    const key = () =>
      must('get', 'secret', '-n', ns, 'fs-foresight-anonymization', '-o', 'jsonpath={.data.key}');
    assert.match(await helm('install', 'fs', CHART, '--create-namespace'), /STATUS: deployed/);
    const first = await key();
    assert.equal(Buffer.from(Buffer.from(first, 'base64').toString(), 'base64').length, 32, 'a 32-byte key');
    await helm('upgrade', 'fs', CHART, '--set', 'controller.replicas=3');
    assert.equal(await key(), first, 'upgrade keeps the key');
    assert.match(await helm('uninstall', 'fs'), /kept due to the resource policy/);
    assert.equal(await key(), first, 'uninstall keeps the key');
    await helm('install', 'fs', CHART);
    assert.equal(await key(), first, 'a reinstall adopts the kept key');
    await helm('uninstall', 'fs');
  });

  it('[integration] namespaced RBAC: nothing outside the watched namespaces', async () => {
    const docs = parseManifests(
      await render({ files: valueFiles('namespaced'), kubeVersion: '1.20.2' }),
    ).filter((m) => RBAC_KINDS.has(m.kind));
    const file = join(dir, 'rbac-namespaced.yaml');
    writeFileSync(file, docs.map((d) => yaml.dump(d)).join('---\n'));
    await must('apply', '-f', file);
    try {
      const controller = 'foresight-controller';
      for (const ns of ['shop', 'payments']) {
        assert.ok(await canI(controller, 'watch', 'threatpolicies.foresight.dev', '-n', ns), ns);
        assert.ok(await canI(controller, 'patch', 'pods', '-n', ns), ns);
      }
      assert.ok(!(await canI(controller, 'watch', 'threatpolicies.foresight.dev', '-n', 'default')));
      assert.ok(!(await canI(controller, 'list', 'pods', '--all-namespaces')));
      assert.ok(!(await canI(controller, 'list', 'namespaces')));
      assert.ok(!(await canI(controller, 'create', 'adminnetworkpolicies.policy.networking.k8s.io')));
      assert.ok(await canI(controller, 'update', 'leases.coordination.k8s.io', '-n', NAMESPACE));
      // The detector's Pod informer (detector.readPods) reads pods in the watched namespaces only.
      assert.ok(await canI('foresight-detector', 'watch', 'pods', '-n', 'shop'));
      assert.ok(!(await canI('foresight-detector', 'list', 'pods', '-n', 'default')));
      assert.ok(!(await canI('foresight-detector', 'patch', 'pods', '-n', 'shop')));
      // TokenReview and SubjectAccessReview are cluster-scoped by nature.
      assert.ok(await canI('foresight-dashboard', 'create', 'tokenreviews.authentication.k8s.io'));
      assert.ok(
        !(await canI('foresight-dashboard', 'list', 'threatincidents.foresight.dev', '-n', 'default')),
      );
    } finally {
      await must('delete', '-f', file, '--wait=false');
    }
  });
});
