import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeNats, natsOptions } from '../../src/util/nats.js';

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
