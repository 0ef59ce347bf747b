import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectTcp, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nkeys } from 'nats';
import { silentLogger } from '../../src/observability/logger.js';
import {
  connectNats,
  describeNats,
  natsConnectionOptions,
  natsOptions,
  type NatsEndpoint,
} from '../../src/util/nats.js';

describe('natsOptions', () => {
  const cases = [
    { name: 'plain URL', url: 'nats://127.0.0.1:4222', want: { servers: ['nats://127.0.0.1:4222'] } },
    {
      name: 'user and password move to options',
      url: 'nats://foresight:s%40cret@nats.nats:4222',
      want: { servers: ['nats://nats.nats:4222'], user: 'foresight', pass: 's@cret' },
    },
    {
      name: 'a bare user is a token',
      url: 'nats://t0ken@nats:4222',
      want: { servers: ['nats://nats:4222'], token: 't0ken' },
    },
    {
      name: 'several servers, scheme optional',
      url: 'nats://a:4222, b:4222',
      want: { servers: ['nats://a:4222', 'nats://b:4222'] },
    },
  ];
  for (const { name, url, want } of cases) it(name, () => assert.deepEqual(natsOptions(url), want));

  it('never shows credentials in what it logs', () => {
    assert.equal(describeNats('nats://foresight:secret@nats:4222'), 'nats://nats:4222');
  });

  it('refuses an empty server list', () => {
    assert.throws(() => natsOptions(' , '), { code: 'config-invalid' });
  });
});

/** The client's bundled nkeys module is untyped; the two calls used here. */
interface NkeyPair {
  getPublicKey(): string;
  getSeed(): Uint8Array;
}
const createUser = () => (nkeys as unknown as { createUser(): NkeyPair }).createUser();

/**
 * A second, private nats-server that requires TLS (a CA made here with openssl) and an NKey user,
 * on a free port: the options Foresight builds from its configuration must get through it, and
 * each missing piece must fail.
 */
describe('connecting to a NATS server with TLS and NKey auth [integration]', () => {
  let dir: string;
  let server: ChildProcess;
  let port: number;
  let seedFile: string;
  let wrongSeedFile: string;
  const logger = silentLogger();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'foresight-nats-tls-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=test-ca',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    );
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    );
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    ssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'san.ext',
      '-out',
      'server.crt',
    );
    const user = createUser();
    seedFile = join(dir, 'user.nk');
    writeFileSync(seedFile, `${new TextDecoder().decode(user.getSeed())}\n`);
    wrongSeedFile = join(dir, 'other.nk');
    writeFileSync(wrongSeedFile, new TextDecoder().decode(createUser().getSeed()));
    port = await freePort();
    writeFileSync(
      join(dir, 'server.conf'),
      [
        `listen: 127.0.0.1:${port}`,
        `tls { cert_file: "${join(dir, 'server.crt')}", key_file: "${join(dir, 'server.key')}" }`,
        `authorization { users: [ { nkey: "${user.getPublicKey()}" } ] }`,
      ].join('\n'),
    );
    server = spawn('/usr/sbin/nats-server', ['-c', join(dir, 'server.conf')], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await listening(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the TLS nats-server did not start');
  });
  after(() => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const endpoint = (over: Partial<NatsEndpoint> = {}): NatsEndpoint => ({
    url: `tls://127.0.0.1:${port}`,
    tls: { caFile: join(dir, 'ca.crt') },
    auth: { nkeySeedFile: seedFile },
    ...over,
  });

  it('[integration] gets through with the CA and the NKey seed from the configuration', async () => {
    const nc = await connectNats(endpoint(), { name: 'tls-test', logger, wait: false });
    try {
      const sub = nc.subscribe('echo', { max: 1 });
      void (async () => {
        for await (const m of sub) m.respond(m.data);
      })();
      const reply = await nc.request('echo', new TextEncoder().encode('over tls'), { timeout: 2000 });
      assert.equal(new TextDecoder().decode(reply.data), 'over tls');
    } finally {
      await nc.close();
    }
  });

  it('[integration] fails without the CA (the server certificate is not trusted)', async () => {
    await assert.rejects(connectNats(endpoint({ tls: {} }), { name: 'tls-test', logger, wait: false }), {
      code: 'nats-connect',
    });
  });

  it('[integration] fails with a seed the server does not know', async () => {
    await assert.rejects(
      connectNats(endpoint({ auth: { nkeySeedFile: wrongSeedFile } }), {
        name: 'tls-test',
        logger,
        wait: false,
      }),
      { code: 'nats-connect' },
    );
  });

  it('a missing file is a configuration error naming the field', () => {
    assert.throws(() => natsConnectionOptions(endpoint({ tls: { caFile: join(dir, 'missing.crt') } })), {
      code: 'config-invalid',
      message: /nats\.tls\.caFile: cannot read/,
    });
    assert.throws(
      () => natsConnectionOptions(endpoint({ auth: { credsFile: join(dir, 'missing.creds') } })),
      {
        code: 'config-invalid',
        message: /nats\.auth\.credsFile: cannot read/,
      },
    );
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
