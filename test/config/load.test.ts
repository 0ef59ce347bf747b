/**
 * The environment a deployment sets that does not map onto one key: the database password merged
 * into the URL, and a detector replica's ordinal turned into the partitions it owns.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig, parseConfig, partitionsOfReplica, withPassword } from '../../src/config/load.js';
import { ForesightError } from '../../src/errors.js';

describe('partitionsOfReplica', () => {
  const cases: { name: string; ordinal: number; replicas: number; partitions: number; owned: number[] }[] = [
    { name: 'one replica owns everything', ordinal: 0, replicas: 1, partitions: 4, owned: [0, 1, 2, 3] },
    { name: 'first of three over eight', ordinal: 0, replicas: 3, partitions: 8, owned: [0, 3, 6] },
    { name: 'last of three over eight', ordinal: 2, replicas: 3, partitions: 8, owned: [2, 5] },
    { name: 'as many replicas as partitions', ordinal: 5, replicas: 6, partitions: 6, owned: [5] },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(partitionsOfReplica(c.ordinal, c.replicas, c.partitions), c.owned));
  }

  it('gives every partition exactly one owner', () => {
    for (let replicas = 1; replicas <= 7; replicas++) {
      const owners = new Map<number, number>();
      for (let o = 0; o < replicas; o++)
        for (const p of partitionsOfReplica(o, replicas, 7)) owners.set(p, (owners.get(p) ?? 0) + 1);
      assert.deepEqual(
        [...owners.keys()].sort((a, b) => a - b),
        [0, 1, 2, 3, 4, 5, 6],
      );
      assert.ok([...owners.values()].every((n) => n === 1));
    }
  });

  const bad: { name: string; args: [number, number, number]; message: RegExp }[] = [
    {
      name: 'more replicas than partitions',
      args: [0, 3, 2],
      message: /3 detector replicas for 2 partitions/,
    },
    { name: 'ordinal past the replica count', args: [3, 3, 8], message: /ordinal 3 is outside 0\.\.2/ },
    { name: 'zero replicas', args: [0, 0, 8], message: /positive integer/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}`, () =>
      assert.throws(
        () => partitionsOfReplica(...c.args),
        (e: unknown) => {
          assert.ok(e instanceof ForesightError);
          assert.equal(e.code, 'config-invalid');
          assert.match(e.message, c.message);
          return true;
        },
      ));
  }
});

describe('withPassword', () => {
  const cases: { name: string; url: string; password: string; expect: RegExp }[] = [
    {
      name: 'plain',
      url: 'postgres://foresight@db:5432/foresight',
      password: 's3cret',
      expect: /^postgres:\/\/foresight:s3cret@db:5432\/foresight$/,
    },
    {
      name: 'replaces a password in the URL',
      url: 'postgres://u:old@db/x',
      password: 'new',
      expect: /^postgres:\/\/u:new@db\/x$/,
    },
    {
      name: 'keeps parameters',
      url: 'postgresql://u@db/x?sslmode=require',
      password: 'p',
      expect: /\?sslmode=require$/,
    },
  ];
  for (const c of cases) it(c.name, () => assert.match(withPassword(c.url, c.password), c.expect));

  it('encodes every special character once, as node-postgres decodes it', () => {
    const password = 'p@ss:w/rd%41?#[]& é';
    const url = new URL(withPassword('postgres://u@db:5432/x', password));
    assert.equal(decodeURIComponent(url.password), password);
    assert.equal(url.hostname, 'db');
    assert.equal(url.pathname, '/x');
  });

  it('refuses a URL without a user and never echoes the URL', () => {
    assert.throws(() => withPassword('postgres://db/x', 'p'), /names no user/);
    assert.throws(
      () => withPassword('not a url with hunter2', 'p'),
      (e: unknown) => e instanceof ForesightError && !e.message.includes('hunter2'),
    );
  });
});

describe('loadConfig: deployment environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  /** A config file, as the chart's ConfigMap provides it. */
  const configFile = (content: Record<string, unknown>): string => {
    const file = join(dir, `config-${files++}.json`);
    writeFileSync(file, JSON.stringify(content));
    return file;
  };

  it('merges FORESIGHT_DATABASE_PASSWORD into FORESIGHT_DATABASE_URL and keeps it out of enumeration', () => {
    const config = loadConfig({
      env: {
        FORESIGHT_DATABASE_URL: 'postgres://foresight@pg.db.svc:5432/foresight?sslmode=require',
        FORESIGHT_DATABASE_PASSWORD: 'top secret',
      },
    });
    assert.equal(
      config.store.url,
      'postgres://foresight:top%20secret@pg.db.svc:5432/foresight?sslmode=require',
    );
    assert.doesNotMatch(JSON.stringify(config), /secret/);
  });

  it('applies the password to the default URL when no URL is given', () => {
    const config = loadConfig({ env: { FORESIGHT_DATABASE_PASSWORD: 'pw' } });
    assert.equal(config.store.url, 'postgres://postgres:pw@127.0.0.1:5432/postgres');
  });

  const replicas: {
    name: string;
    env: Record<string, string>;
    file?: Record<string, unknown>;
    partitions: number[] | undefined;
  }[] = [
    {
      name: 'a StatefulSet pod name picks its partitions',
      env: { FORESIGHT_DETECTOR_REPLICA: 'foresight-detector-1', FORESIGHT_DETECTOR_REPLICAS: '2' },
      file: { nats: { partitions: 6 } },
      partitions: [1, 3, 5],
    },
    {
      name: 'a bare ordinal works too',
      env: { FORESIGHT_DETECTOR_REPLICA: '0', FORESIGHT_DETECTOR_REPLICAS: '3' },
      file: { nats: { partitions: 3 } },
      partitions: [0],
    },
    {
      name: 'a single replica keeps the one consumer over all partitions',
      env: { FORESIGHT_DETECTOR_REPLICA: 'foresight-detector-0', FORESIGHT_DETECTOR_REPLICAS: '1' },
      file: { nats: { partitions: 4 } },
      partitions: undefined,
    },
    { name: 'without the variables nothing changes', env: {}, partitions: undefined },
  ];
  for (const c of replicas) {
    it(c.name, () => {
      const config = loadConfig({ env: c.env, ...(c.file ? { file: configFile(c.file) } : {}) });
      assert.deepEqual(config.detector.partitions, c.partitions);
    });
  }

  it('lets an explicit --partitions flag win over the replica variables', () => {
    const config = loadConfig({
      env: { FORESIGHT_DETECTOR_REPLICA: 'd-1', FORESIGHT_DETECTOR_REPLICAS: '2' },
      file: configFile({ nats: { partitions: 4 } }),
      overrides: { detector: { partitions: [3] } },
    });
    assert.deepEqual(config.detector.partitions, [3]);
  });

  const invalid: { name: string; env: Record<string, string>; message: RegExp }[] = [
    {
      name: 'one variable without the other',
      env: { FORESIGHT_DETECTOR_REPLICA: 'd-0' },
      message: /go together/,
    },
    {
      name: 'a name without an ordinal',
      env: { FORESIGHT_DETECTOR_REPLICA: 'detector', FORESIGHT_DETECTOR_REPLICAS: '2' },
      message: /must be the replica's ordinal/,
    },
    {
      name: 'a count that is not a number',
      env: { FORESIGHT_DETECTOR_REPLICA: 'd-0', FORESIGHT_DETECTOR_REPLICAS: 'two' },
      message: /positive integer/,
    },
    {
      name: 'more replicas than partitions',
      env: { FORESIGHT_DETECTOR_REPLICA: 'd-0', FORESIGHT_DETECTOR_REPLICAS: '2' },
      message: /2 detector replicas for 1 partitions/,
    },
  ];
  for (const c of invalid) {
    it(`refuses ${c.name}`, () => assert.throws(() => loadConfig({ env: c.env }), c.message));
  }
});

describe('NATS TLS and auth settings', () => {
  it('names the field when a client certificate comes without its key', () =>
    assert.throws(
      () => parseConfig({ nats: { tls: { certFile: '/etc/nats/tls.crt' } } }),
      /nats\.tls: certFile and keyFile go together/,
    ));

  it('refuses a creds file and an NKey seed together', () =>
    assert.throws(
      () => parseConfig({ nats: { auth: { credsFile: '/a.creds', nkeySeedFile: '/b.nk' } } }),
      /nats\.auth: set credsFile or nkeySeedFile, not both/,
    ));

  it('accepts a CA alone, and a certificate with its key', () => {
    const c = parseConfig({
      nats: { tls: { caFile: '/ca.crt', certFile: '/tls.crt', keyFile: '/tls.key' } },
    });
    assert.deepEqual(c.nats.tls, { caFile: '/ca.crt', certFile: '/tls.crt', keyFile: '/tls.key' });
  });
});
