/**
 * Encryption of personal data at rest (names, contact details, original inputs of rejected
 * records): AES-256-GCM with the platform's data key. Layout of a sealed value:
 * version (1 byte, = 1) | IV (12 bytes) | auth tag (16 bytes) | ciphertext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;

export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

export function sealJson(key: Buffer, value: unknown): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

/** Throws DecryptionError when the value was not sealed with this key or was altered. */
export function openJson<T = unknown>(key: Buffer, sealed: Buffer): T {
  if (sealed.length < 29 || sealed[0] !== VERSION)
    throw new DecryptionError('not a sealed value (unknown version)');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13));
    decipher.setAuthTag(sealed.subarray(13, 29));
    const text = Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString('utf8');
    return JSON.parse(text) as T;
  } catch {
    throw new DecryptionError('cannot decrypt: wrong key or altered value');
  }
}
