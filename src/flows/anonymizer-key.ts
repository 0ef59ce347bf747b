/**
 * Where the anonymization key comes from: a file (a mounted Secret), the config, or — only when
 * neither is set — a random key for this process, with a warning, because tokens then change on
 * every restart and no other process can reveal them.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { ForesightError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { CryptoPan, KEY_BYTES, noAnonymization, type AddressAnonymizer } from './anonymizer.js';

/** Accepts the key as 32 raw bytes, 64 hex characters or base64 of 32 bytes. */
export function decodeKey(material: Buffer | string, origin: string): Buffer {
  const buf = typeof material === 'string' ? Buffer.from(material, 'utf8') : material;
  if (buf.length === KEY_BYTES) return Buffer.from(buf);
  const text = buf.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  const b64 = Buffer.from(text, 'base64');
  if (b64.length === KEY_BYTES && /^[A-Za-z0-9+/=_-]+$/.test(text)) return b64;
  throw new ForesightError(
    'anon-key',
    `anonymization key from ${origin} must be ${KEY_BYTES} raw bytes, 64 hex characters or base64 of ${KEY_BYTES} bytes`,
  );
}

export function generateKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function createAnonymizer(config: Config['anonymization'], logger: Logger): AddressAnonymizer {
  if (!config.enabled) {
    logger.warn('address anonymization is off: raw addresses will reach the store and the logs');
    return noAnonymization;
  }
  let key: Buffer;
  if (config.keyFile) {
    let material: Buffer;
    try {
      material = readFileSync(config.keyFile);
    } catch (err) {
      throw new ForesightError('anon-key', `cannot read anonymization key file ${config.keyFile}`, {
        cause: err,
      });
    }
    key = decodeKey(material, config.keyFile);
  } else if (config.key) {
    key = decodeKey(config.key, 'anonymization.key');
  } else {
    logger.warn(
      'no anonymization key configured (anonymization.keyFile): using a random key for this process; ' +
        'tokens will differ after a restart and other processes cannot reveal them. Create one with `foresight keygen`.',
    );
    key = generateKey();
  }
  return new CryptoPan(key, config.cacheSize);
}
