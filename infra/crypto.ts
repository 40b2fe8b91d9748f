/**
 * Encryption of personal data at rest (names, contact details, original inputs of rejected
 * records): AES-256-GCM with the platform's data key. Layout of a sealed value:
 * version (1 byte, = 1) | IV (12 bytes) | auth tag (16 bytes) | ciphertext.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { PermanentError } from './errors';

const VERSION = 1;
const IV_BYTES = 12;

/**
 * IVs are cut from a block of CSPRNG bytes refilled every 1,024 seals: one `randomBytes(12)` per
 * record was a tenth of the ingestion's encryption cost. Each IV is still used once.
 */
const ivPool = Buffer.alloc(IV_BYTES * 1024);
let ivOffset = ivPool.length;

function nextIv(out: Buffer, at: number): void {
  if (ivOffset === ivPool.length) {
    randomFillSync(ivPool);
    ivOffset = 0;
  }
  ivPool.copy(out, at, ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
}

export class DecryptionError extends PermanentError {
  override name = 'DecryptionError';
}

export function sealJson(key: Buffer, value: unknown): Buffer {
  const head = Buffer.allocUnsafe(1 + IV_BYTES);
  head[0] = VERSION;
  nextIv(head, 1);
  const cipher = createCipheriv('aes-256-gcm', key, head.subarray(1));
  const body = cipher.update(JSON.stringify(value), 'utf8');
  const tail = cipher.final(); // empty for GCM, kept for form
  return Buffer.concat([head, cipher.getAuthTag(), body, tail]);
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
