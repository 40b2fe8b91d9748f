/**
 * `tdb tokens create --role ROLE [--scope CODE[,CODE…]] [--sub NAME] [--ttl-days N]`: prints a
 * signed access token of the read API on stdout (api/auth/tokens.ts). The scope is checked against
 * the referentials (UAI check letter, région/département/académie codes); errors go to stderr with
 * exit code 2.
 */
import { Command, Option } from 'commander';
import { config } from '../../infra/config';
import { createContext } from '../../infra/context';
import { DEFAULT_TTL_SECONDS, ScopeError, signToken, TOKEN_ROLES, type TokenRequest } from './tokens';

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
    .action((opts: { role: TokenRequest['role']; scope: string; sub?: string; ttlDays: string }) => {
      const ttlDays = Number(opts.ttlDays);
      if (!Number.isFinite(ttlDays) || ttlDays <= 0 || ttlDays > 3650) {
        process.stderr.write(
          'tdb tokens create: --ttl-days must be a number of days greater than 0 and at most 3650\n',
        );
        process.exit(2);
      }
      const ctx = createContext(config(), 'tokens');
      const scope = opts.scope
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      try {
        const token = signToken(
          ctx.secrets.tokenSecret,
          {
            role: opts.role,
            scope,
            sub: opts.sub ?? `${opts.role}:${scope.join(',')}`,
            ttlSeconds: Math.round(ttlDays * 86400),
          },
          ctx.territoires,
          ctx.clock.now(),
        );
        process.stdout.write(`${token}\n`);
      } catch (err) {
        if (!(err instanceof ScopeError)) throw err;
        process.stderr.write(`tdb tokens create: ${err.message}\n`);
        process.exit(2);
      }
    });
}
