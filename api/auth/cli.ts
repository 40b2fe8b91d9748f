/**
 * Access tokens of the read API (api/auth/tokens.ts):
 * - `tdb tokens create --role ROLE [--scope CODE[,CODE…]] [--sub NAME] [--ttl-days N] [--valid-from ISO]`:
 *   prints a signed token on stdout and its id (`jti`) on stderr. The scope is checked against the
 *   referentials (UAI check letter, région/département/académie codes); errors go to stderr with
 *   exit code 2.
 * - `tdb tokens revoke <jti|token>`: revokes a token by its id (or the token itself, whose id is
 *   read from it): refused by every API process within a second (api/auth/revocations.ts).
 * - `tdb tokens revoked [--json]`: the revoked ids, oldest first.
 */
import { Command, Option } from 'commander';
import { config } from '../../infra/config';
import { createContext } from '../../infra/context';
import { revocationList } from './revocations';
import { DEFAULT_TTL_SECONDS, ScopeError, signTokenWithId, TOKEN_ROLES, type TokenRequest } from './tokens';

/** A token id (a UUID, as signTokenWithId makes them). */
const JTI = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The jti of `arg`: a token id, or a token (three base64url parts) whose payload carries one. */
export function jtiOf(arg: string): string | null {
  if (JTI.test(arg)) return arg.toLowerCase();
  const parts = arg.split('.');
  if (parts.length !== 3) return null;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { jti?: unknown };
    return typeof payload.jti === 'string' && JTI.test(payload.jti) ? payload.jti.toLowerCase() : null;
  } catch {
    return null;
  }
}

export function registerTokensCommand(program: Command): void {
  const tokens = program.command('tokens').description('access tokens of the read API');
  tokens
    .command('create')
    .description('print a signed token carrying a role and its scope')
    .addOption(new Option('--role <role>', 'role').choices(TOKEN_ROLES).makeOptionMandatory())
    .option(
      '--scope <codes>',
      'comma-separated: UAI (cfa), Mission Locale id, région (dreets), département (ddets), académie (academie)',
      '',
    )
    .option('--sub <name>', 'who the token is for (kept in the access log)')
    .option('--ttl-days <n>', 'lifetime in days', String(DEFAULT_TTL_SECONDS / 86400))
    .option('--valid-from <instant>', 'not valid before this date or ISO instant (nbf; default: now)')
    .action(
      (opts: {
        role: TokenRequest['role'];
        scope: string;
        sub?: string;
        ttlDays: string;
        validFrom?: string;
      }) => {
        const ttlDays = Number(opts.ttlDays);
        if (!Number.isFinite(ttlDays) || ttlDays <= 0 || ttlDays > 3650) {
          process.stderr.write(
            'tdb tokens create: --ttl-days must be a number of days greater than 0 and at most 3650\n',
          );
          process.exit(2);
        }
        const validFrom = opts.validFrom === undefined ? undefined : Date.parse(opts.validFrom);
        if (validFrom !== undefined && !Number.isFinite(validFrom)) {
          process.stderr.write(
            'tdb tokens create: --valid-from must be a date (AAAA-MM-JJ) or an ISO instant\n',
          );
          process.exit(2);
        }
        const ctx = createContext(config(), 'tokens');
        const scope = opts.scope
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        try {
          const { token, jti } = signTokenWithId(
            ctx.secrets.tokenSecret,
            {
              role: opts.role,
              scope,
              sub: opts.sub ?? `${opts.role}:${scope.join(',')}`,
              ttlSeconds: Math.round(ttlDays * 86400),
              notBeforeMs: validFrom,
            },
            ctx.territoires,
            ctx.clock.now(),
          );
          process.stdout.write(`${token}\n`);
          process.stderr.write(`jti: ${jti} (to revoke it: tdb tokens revoke ${jti})\n`);
        } catch (err) {
          if (!(err instanceof ScopeError)) throw err;
          process.stderr.write(`tdb tokens create: ${err.message}\n`);
          process.exit(2);
        }
      },
    );

  tokens
    .command('revoke <jti>')
    .description('revoke a token by its id (jti, printed at creation) or the token itself')
    .action(async (arg: string) => {
      const jti = jtiOf(arg.trim());
      if (!jti) {
        process.stderr.write(
          'tdb tokens revoke: a token id (jti: a UUID, printed by tdb tokens create) or a token is expected\n',
        );
        process.exit(2);
      }
      const ctx = createContext(config(), 'tokens');
      try {
        const added = await revocationList(ctx.redis, ctx.keys).revoke(jti, ctx.clock.now());
        process.stdout.write(
          added
            ? `token ${jti} revoked (refused by the API within a second)\n`
            : `token ${jti} was already revoked\n`,
        );
      } finally {
        await ctx.close();
      }
    });

  tokens
    .command('revoked')
    .description('list the revoked token ids, oldest first')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { json?: boolean }) => {
      const ctx = createContext(config(), 'tokens');
      try {
        for (const r of await revocationList(ctx.redis, ctx.keys).list()) {
          const at = new Date(r.at).toISOString();
          process.stdout.write(
            opts.json ? `${JSON.stringify({ jti: r.jti, revoque_le: at })}\n` : `${at}  ${r.jti}\n`,
          );
        }
      } finally {
        await ctx.close();
      }
    });
}
