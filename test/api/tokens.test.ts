/**
 * Access tokens (api/auth/tokens.ts) and `tdb tokens create`: signed with the token secret,
 * role and scope checked against the referentials, expiry against the platform clock; tampered,
 * unsigned or foreign tokens refused.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createSigner } from 'fast-jwt';
import {
  createTokenVerifier,
  InvalidTokenError,
  normaliseScope,
  ScopeError,
  signToken,
} from '../../api/auth/tokens';
import { loadConfig } from '../../infra/config';
import { loadSecrets } from '../../infra/secrets';
import { loadTerritoires } from '../../streams/referentiels/territoires';
import { tdbBin } from '../support/tdb-process';

const territoires = loadTerritoires();
const SECRET = 'a-token-secret-for-tests-0123456789abcdef';
const NOW = Date.parse('2025-03-15T12:00:00Z');
const verifier = createTokenVerifier(SECRET, territoires);

describe('tokens', () => {
  it('round trip: role, scope and subject come back; expiry is checked against the given clock', () => {
    const t = signToken(
      SECRET,
      { role: 'dreets', scope: ['84'], sub: 'dreets-ara:agent1', ttlSeconds: 3600 },
      territoires,
      NOW,
    );
    expect(verifier.verify(t, NOW + 1000)).toEqual({
      role: 'dreets',
      scope: ['84'],
      sub: 'dreets-ara:agent1',
    });
    expect(() => verifier.verify(t, NOW + 3600_000)).toThrow(
      expect.objectContaining({ code: 'JETON_EXPIRE' }),
    );
  });

  it('scopes are checked against the referentials for each role', () => {
    expect(normaliseScope('cfa', [' 0693446W ', '0693446W'], territoires)).toEqual(['0693446W']);
    const bad: [Parameters<typeof normaliseScope>[0], string[]][] = [
      ['cfa', ['0693446B']], // wrong check letter
      ['cfa', []],
      ['dreets', ['99']],
      ['ddets', ['69', '2C']],
      ['academie', ['Lyon']],
      ['mission_locale', ['a', 'b']],
      ['mission_locale', ["ml'; DROP"]],
      ['admin', ['84']],
    ];
    for (const [role, scope] of bad)
      expect(() => normaliseScope(role, scope, territoires)).toThrow(ScopeError);
  });

  it('refuses tampered payloads, other secrets, alg none and non-JWT keys', () => {
    const t = signToken(SECRET, { role: 'cfa', scope: ['0693446W'], sub: 'cfa' }, territoires, NOW);
    const [h, p, s] = t.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...payload, role: 'admin', scope: [] })).toString(
      'base64url',
    );
    const unsigned = createSigner({
      algorithm: 'none',
      iss: 'tdb',
      aud: 'tdb-api',
      sub: 'x',
      expiresIn: 3600_000,
      clockTimestamp: NOW,
    })({ role: 'admin', scope: [] });
    for (const token of [
      `${h}.${forged}.${s}`,
      signToken(
        'another-secret-of-32-characters-at-least!',
        { role: 'admin', scope: [], sub: 'x' },
        territoires,
        NOW,
      ),
      unsigned,
      'erp_0123456789abcdef',
      '',
    ]) {
      expect(() => verifier.verify(token, NOW)).toThrow(InvalidTokenError);
    }
    // The reason in words, never the library's internal code.
    expect(() => verifier.verify('erp_0123456789abcdef', NOW)).toThrow(
      'jeton invalide : format incorrect (trois parties base64url séparées par des points attendues)',
    );
    expect(() => verifier.verify(`${h}.${forged}.${s}`, NOW)).toThrow(
      'jeton invalide : signature incorrecte (jeton modifié ou émis par une autre plateforme)',
    );
  });
});

describe('tdb tokens create', () => {
  const run = promisify(execFile);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdb-tokens-'));
  // Secrets generated in a fresh data dir (none from the environment), fixed clock.
  const env: NodeJS.ProcessEnv = { ...process.env, TDB_DATA_DIR: dataDir, TDB_CLOCK: '2025-03-15' };
  for (const k of ['TDB_TOKEN_SECRET', 'TDB_DATA_KEY', 'TDB_PERSON_KEY_SECRET']) delete env[k];
  const bin = tdbBin();

  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('prints a token the API accepts (same secret), with the role and scope asked', async () => {
    const { stdout } = await run(
      'node',
      [bin, 'tokens', 'create', '--role', 'ddets', '--scope', '69,01', '--sub', 'ddets-69:agent'],
      { env },
    );
    const secret = loadSecrets(loadConfig(env)).tokenSecret;
    expect(createTokenVerifier(secret, territoires).verify(stdout.trim(), NOW)).toEqual({
      role: 'ddets',
      scope: ['69', '01'],
      sub: 'ddets-69:agent',
    });
  }, 60_000);

  it('an invalid scope: message on stderr naming the code, exit code 2', async () => {
    const err = await run('node', [bin, 'tokens', 'create', '--role', 'dreets', '--scope', '99'], {
      env,
    }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toContain('"99"');
  }, 60_000);
});
