import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ForesightError } from '../../../src/errors.js';
import { describeDbError, isTransientDbError } from '../../../src/detector/store/pg-errors.js';
import { describeTarget, redactUrl, scrub } from '../../../src/detector/store/redact.js';

const URL = 'postgres://app:s3cr%2Fet@db.example:6543/prod';

function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('redaction', () => {
  const cases: [string, string, string][] = [
    ['target of a full URL', describeTarget(URL), 'db.example:6543'],
    ['default port', describeTarget('postgres://u@h/db'), 'h:5432'],
    ['unparseable', describeTarget('not a url'), '(unparseable database URL)'],
    ['redacted URL', redactUrl(URL), 'postgres://app:***@db.example:6543/prod'],
    [
      'scrub raw and decoded password',
      scrub(`failed for ${URL} with s3cr/et and s3cr%2Fet`, URL),
      'failed for postgres://app:***@db.example:6543/prod with *** and ***',
    ],
    ['password in a query parameter', scrub('x pw9 y', 'postgres://u@h/db?password=pw9'), 'x *** y'],
  ];
  for (const [name, actual, expected] of cases) test(name, () => assert.equal(actual, expected));
});

describe('describeDbError', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5999'), { code: 'ECONNREFUSED' });
  const cases: [string, unknown, string, boolean][] = [
    ['refused', refused, 'cannot reach PostgreSQL at db.example:6543 (ECONNREFUSED)', true],
    [
      'refused on every address',
      new AggregateError([refused, refused]),
      'cannot reach PostgreSQL at db.example:6543 (ECONNREFUSED)',
      true,
    ],
    [
      'bad password',
      pgError('28P01', 'password authentication failed for user "app"'),
      'PostgreSQL at db.example:6543 rejected the password of user "app" (28P01)',
      true,
    ],
    [
      'unknown role',
      pgError('28000', 'role "nobody" does not exist'),
      'PostgreSQL at db.example:6543 rejected the login: role "nobody" does not exist (28000)',
      true,
    ],
    [
      'missing database',
      pgError('3D000', 'database "prod" does not exist'),
      'PostgreSQL at db.example:6543: database "prod" does not exist (3D000)',
      true,
    ],
    [
      'starting up',
      pgError('57P03', 'the database system is starting up'),
      'PostgreSQL at db.example:6543 is starting up or shutting down (57P03)',
      true,
    ],
    [
      'constraint violation is not transient',
      pgError('23505', 'duplicate key'),
      'PostgreSQL at db.example:6543: duplicate key (23505)',
      false,
    ],
    [
      'connect timeout',
      new Error('timeout expired'),
      'cannot reach PostgreSQL at db.example:6543 (connect timeout)',
      true,
    ],
    [
      'dropped connection',
      new Error('Connection terminated unexpectedly'),
      'lost the connection to PostgreSQL at db.example:6543',
      true,
    ],
    [
      'the password never appears',
      new Error('oops s3cr/et'),
      'PostgreSQL at db.example:6543: oops ***',
      false,
    ],
  ];
  for (const [name, err, text, transient] of cases) {
    test(name, () => {
      const d = describeDbError(err, 'db.example:6543', URL);
      assert.equal(d.text, text);
      assert.equal(d.transient, transient);
    });
  }
});

describe('isTransientDbError', () => {
  const cases: [string, unknown, boolean][] = [
    ['admin shutdown', pgError('57P01', 'terminating connection due to administrator command'), true],
    ['connection exception class', pgError('08006', 'connection failure'), true],
    ['too many connections', pgError('53300', 'too many clients'), true],
    ['deadlock', pgError('40P01', 'deadlock detected'), true],
    ['syntax error', pgError('42601', 'syntax error'), false],
    [
      'pool client unusable',
      new Error('Client has encountered a connection error and is not queryable'),
      true,
    ],
    ['a plain bug', new TypeError('x is undefined'), false],
    [
      'our wrapper around a lost connection',
      new ForesightError('store-migration', 'm', { cause: pgError('57P01', 'x') }),
      true,
    ],
    [
      'our wrapper around a bug',
      new ForesightError('store-partition', 'p', { cause: pgError('42P17', 'x') }),
      false,
    ],
  ];
  for (const [name, err, expected] of cases)
    test(name, () => assert.equal(isTransientDbError(err), expected));
});
