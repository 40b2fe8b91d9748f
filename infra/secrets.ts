/**
 * The platform's secrets: from the environment when set (production), otherwise generated once
 * per data dir into TDB_DATA_DIR/secrets.json (mode 0600) so that a developer machine works with
 * no set-up and keeps stable keys across restarts.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config';

export interface Secrets {
  /** HMAC key of person keys (pseudonymous identity across organisations). */
  personKeySecret: string;
  /** 32-byte AES-256-GCM key of personal data at rest (Kafka values, ClickHouse, Redis). */
  dataKey: Buffer;
  /** HMAC key of the API's signed access tokens. */
  tokenSecret: string;
}

export function loadSecrets(c: Config): Secrets {
  let generated: Record<string, string> = {};
  if (!c.TDB_PERSON_KEY_SECRET || !c.TDB_DATA_KEY || !c.TDB_TOKEN_SECRET) {
    const file = path.join(c.TDB_DATA_DIR, 'secrets.json');
    if (fs.existsSync(file)) {
      generated = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    } else {
      generated = {
        TDB_PERSON_KEY_SECRET: randomBytes(32).toString('base64'),
        TDB_DATA_KEY: randomBytes(32).toString('base64'),
        TDB_TOKEN_SECRET: randomBytes(48).toString('base64'),
      };
      fs.mkdirSync(c.TDB_DATA_DIR, { recursive: true });
      // wx: two processes starting together must not overwrite each other's keys.
      try {
        fs.writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600, flag: 'wx' });
      } catch {
        generated = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
      }
    }
  }
  const pick = (name: 'TDB_PERSON_KEY_SECRET' | 'TDB_DATA_KEY' | 'TDB_TOKEN_SECRET') =>
    c[name] ?? generated[name] ?? '';
  return {
    personKeySecret: pick('TDB_PERSON_KEY_SECRET'),
    dataKey: Buffer.from(pick('TDB_DATA_KEY'), 'base64'),
    tokenSecret: pick('TDB_TOKEN_SECRET'),
  };
}
