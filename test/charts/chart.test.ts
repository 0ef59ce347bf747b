/**
 * The chart as a whole: `helm lint --strict` is clean, its crds/ are the repository's, its RBAC
 * has no wildcard and grants the controller exactly the tested rules, every pod is locked down,
 * and the config files it writes are ones Foresight itself accepts, given the environment the
 * pods get (the chart ↔ application contract).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { loadConfig } from '../../src/config/load.js';
import { runHelm } from '../support/helm.js';
import { CHART, REPO, VALUE_SETS, parseManifests, render, valueFiles, type Manifest } from './support.js';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}
interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: unknown; fieldRef?: unknown } }[];
  securityContext?: Record<string, unknown>;
  livenessProbe?: unknown;
  readinessProbe?: unknown;
}
interface PodSpec {
  containers: Container[];
  securityContext?: Record<string, unknown>;
  volumes?: { name: string; emptyDir?: unknown }[];
}

/** Follows a path of object keys, or undefined where one is missing. */
function dig(value: unknown, ...keys: string[]): unknown {
  let node = value;
  for (const k of keys)
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[k] : undefined;
  return node;
}

function podSpec(m: Manifest): PodSpec | undefined {
  if (m.kind === 'CronJob') return dig(m, 'spec', 'jobTemplate', 'spec', 'template', 'spec') as PodSpec;
  if (m.kind === 'Deployment' || m.kind === 'StatefulSet')
    return dig(m, 'spec', 'template', 'spec') as PodSpec;
  return undefined;
}

const rules = (m: Manifest) => (m as unknown as { rules: Rule[] }).rules;
/** One line per (group, resource, verb, names), for set comparisons. */
const grants = (rs: Rule[]) =>
  rs
    .flatMap((r) =>
      (r.apiGroups ?? ['']).flatMap((g) =>
        (r.resources ?? []).flatMap((res) =>
          r.verbs.map((v) => `${g}/${res}:${v}${r.resourceNames ? `[${r.resourceNames.join()}]` : ''}`),
        ),
      ),
    )
    .sort();

describe('the chart', () => {
  it('passes helm lint --strict with every value set', async () => {
    for (const set of Object.keys(VALUE_SETS)) {
      const args = ['lint', CHART, '--strict', ...valueFiles(set).flatMap((f) => ['--values', f])];
      const result = await runHelm(args);
      assert.equal(result.code, 0, `${set}:\n${result.stdout}${result.stderr}`);
      assert.doesNotMatch(result.stdout, /\[(WARNING|ERROR)\]/, set);
    }
  });

  it('ships crds/ identical to the top-level crds/', () => {
    const top = readdirSync(join(REPO, 'crds')).sort();
    const chart = readdirSync(join(CHART, 'crds')).sort();
    assert.deepEqual(chart, top, 'the same files (copy crds/*.yaml into charts/foresight/crds/)');
    for (const f of top)
      assert.ok(
        readFileSync(join(REPO, 'crds', f)).equals(readFileSync(join(CHART, 'crds', f))),
        `charts/foresight/crds/${f} differs from crds/${f}: copy it again`,
      );
  });

  it('grants no wildcard anywhere', async () => {
    for (const set of Object.keys(VALUE_SETS)) {
      for (const m of parseManifests(await render({ files: valueFiles(set) }))) {
        if (m.kind !== 'ClusterRole' && m.kind !== 'Role') continue;
        for (const r of rules(m)) {
          for (const v of [...r.verbs, ...(r.resources ?? []), ...(r.apiGroups ?? [])])
            assert.ok(!v.includes('*'), `${set}: ${m.kind} ${m.metadata.name} grants ${v}`);
        }
      }
    }
  });

  it('grants the controller exactly the rules tested against a real API server', async () => {
    const example = yaml.loadAll(
      readFileSync(join(REPO, 'docs/examples/controller-rbac.yaml'), 'utf8'),
    ) as Manifest[];
    const manifests = parseManifests(await render());
    const pick = (list: Manifest[], kind: string, suffix: string) => {
      const found = list.find((m) => m.kind === kind && m.metadata.name.endsWith(suffix));
      assert.ok(found, `${kind} *${suffix}`);
      return grants(rules(found));
    };
    assert.deepEqual(
      pick(manifests, 'ClusterRole', '-controller'),
      pick(example, 'ClusterRole', '-controller'),
    );
    assert.deepEqual(
      pick(manifests, 'Role', '-controller-leader-election'),
      pick(example, 'Role', '-controller-leader-election'),
    );
  });

  it('locks down every pod: non-root, read-only root, no capabilities, RuntimeDefault seccomp, /tmp only', async () => {
    for (const set of Object.keys(VALUE_SETS)) {
      for (const m of parseManifests(await render({ files: valueFiles(set) }))) {
        const spec = podSpec(m);
        if (!spec) continue;
        const where = `${set}: ${m.kind} ${m.metadata.name}`;
        assert.equal(spec.securityContext?.runAsNonRoot, true, where);
        assert.deepEqual(spec.securityContext?.seccompProfile, { type: 'RuntimeDefault' }, where);
        assert.ok(
          spec.volumes?.some((v) => v.name === 'tmp' && v.emptyDir),
          where,
        );
        for (const c of spec.containers) {
          assert.equal(c.securityContext?.readOnlyRootFilesystem, true, where);
          assert.equal(c.securityContext?.allowPrivilegeEscalation, false, where);
          assert.deepEqual(c.securityContext?.capabilities, { drop: ['ALL'] }, where);
          if (m.kind !== 'CronJob') assert.ok(c.livenessProbe && c.readinessProbe, `${where}: probes`);
        }
      }
    }
  });

  it("runs as the image's user, with the image's entry point", async () => {
    const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
    const user = /^USER (\d+):(\d+)$/m.exec(dockerfile);
    assert.ok(user, 'the Dockerfile sets a numeric USER uid:gid');
    assert.match(dockerfile, /^ENTRYPOINT \["node", "\/app\/dist\/src\/cli\.js"\]$/m);
    for (const m of parseManifests(await render())) {
      const spec = podSpec(m);
      if (!spec) continue;
      assert.equal(spec.securityContext?.runAsUser, Number(user[1]), m.metadata.name);
      assert.equal(spec.securityContext?.runAsGroup, Number(user[2]), m.metadata.name);
      // Arguments only: the entry point stays the image's (no shell, signals reach node).
      for (const c of spec.containers) assert.equal((c as { command?: unknown }).command, undefined);
    }
  });

  const toggles: { set: string; absent: (m: Manifest) => boolean }[] = [
    { set: 'controller.enabled=false', absent: (m) => m.metadata.name.startsWith('foresight-controller') },
    { set: 'detector.enabled=false', absent: (m) => m.metadata.name.startsWith('foresight-detector') },
    { set: 'dashboard.enabled=false', absent: (m) => m.metadata.name.startsWith('foresight-dashboard') },
    { set: 'networkPolicy.enabled=false', absent: (m) => m.kind === 'NetworkPolicy' },
    { set: 'rbac.create=false', absent: (m) => /Role/.test(m.kind) },
    {
      set: 'anonymization.enabled=false',
      absent: (m) => m.kind === 'Secret',
    },
  ];
  for (const t of toggles) {
    it(`leaves out what ${t.set} turns off, and only that`, async () => {
      const all = parseManifests(await render());
      const some = parseManifests(await render({ set: [t.set] }));
      assert.ok(all.some(t.absent), 'the default renders it');
      assert.deepEqual(
        some.filter(t.absent).map((m) => `${m.kind}/${m.metadata.name}`),
        [],
      );
      const key = (m: Manifest) => `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;
      const kept = new Set(some.map(key));
      // Pods that stay keep their kind and name (their content may differ, e.g. without the key).
      assert.deepEqual(all.filter((m) => !t.absent(m) && !kept.has(key(m))).map(key), []);
    });
  }

  describe('config files Foresight accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'foresight-chart-config-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** The container's environment as the kubelet would set it; secrets get plausible stand-ins. */
    function environment(c: Container, podName: string): Record<string, string> {
      const env: Record<string, string> = {};
      const secret: Record<string, string> = {
        FORESIGHT_NATS_URL: 'nats://nats.example:4222',
        FORESIGHT_DATABASE_URL: 'postgres://app@db.example:5432/foresight',
        FORESIGHT_DATABASE_PASSWORD: 'pa ss',
      };
      for (const e of c.env ?? []) {
        if (e.value !== undefined) env[e.name] = e.value;
        else if (e.valueFrom?.secretKeyRef) env[e.name] = secret[e.name] ?? 'secret';
        else if (e.valueFrom?.fieldRef) env[e.name] = podName;
      }
      // The key file is mounted from a Secret; the loader only records its path.
      return env;
    }

    for (const set of Object.keys(VALUE_SETS)) {
      it(`loads every component's config with its pod environment (${set})`, async () => {
        const manifests = parseManifests(await render({ files: valueFiles(set) }));
        const configMap = manifests.find(
          (m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-config'),
        );
        const data = (configMap as unknown as { data: Record<string, string> }).data;
        const loaded = new Set<string>();
        for (const m of manifests) {
          const spec = podSpec(m);
          if (!spec) continue;
          for (const c of spec.containers) {
            const args = c.args ?? [];
            const configPath = args[args.indexOf('--config') + 1] ?? '';
            const key = configPath.replace('/etc/foresight/', '');
            assert.ok(data[key], `${m.metadata.name}: ${configPath} is not in the ConfigMap`);
            const file = join(dir, `${set}-${key}`);
            writeFileSync(file, data[key]);
            const replicas = Number((m.spec as { replicas?: number }).replicas ?? 1);
            const lastPod = `${m.metadata.name}-${replicas - 1}`;
            const config = loadConfig({ file, env: environment(c, lastPod) });
            loaded.add(c.name);
            if (c.name === 'detector') {
              const partitions = config.nats.partitions;
              if (replicas > 1) {
                // The last ordinal owns the partitions congruent to it.
                const expected = [...Array(partitions).keys()].filter((p) => p % replicas === replicas - 1);
                assert.deepEqual(config.detector.partitions, expected);
                assert.deepEqual(
                  config.features.entities,
                  ['source'],
                  'partial owners write no destination windows',
                );
              } else assert.equal(config.detector.partitions, undefined);
              assert.equal(config.http.port, 9464);
            }
            if (c.name === 'controller') {
              assert.equal(config.controller.operatorNamespace, 'foresight');
              assert.equal(config.controller.leaderElection.leaseNamespace, 'foresight');
              assert.equal(config.controller.watchNamespaces, config.controller.namespaces.length === 0);
              assert.equal(config.controller.http.port, 9465);
            }
            assert.match(config.store.url, /^postgres:\/\//);
            if (c.env?.some((e) => e.name === 'FORESIGHT_ANON_KEY_FILE'))
              assert.match(
                config.anonymization.keyFile ?? '',
                /^\/var\/run\/secrets\/foresight\/anonymization\//,
              );
          }
        }
        assert.ok(
          loaded.has('controller') && loaded.has('detector') && loaded.has('dashboard'),
          [...loaded].join(),
        );
      });
    }
  });
});
