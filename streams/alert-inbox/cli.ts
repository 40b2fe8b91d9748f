/**
 * `tdb alertes …`: the Mission Locale alert service's commands.
 *  - `run`: the alert inbox (consumer group <ns>.alert-inbox), the webhook dispatcher and the
 *    periodic retention sweep, until SIGTERM/SIGINT (batches in progress finish, offsets committed).
 *  - `webhook set|show|remove|livraisons --ml ID`: a Mission Locale's webhook and its delivery log.
 *  - `purge`: one retention sweep now.
 */
import type { Command } from 'commander';
import { config } from '../../infra/config';
import { createContext, type Context } from '../../infra/context';
import { logger } from '../../infra/log';
import { startAlertInbox } from './consumer';
import { createAlertStore } from './store';
import { startWebhookDispatcher, webhookAdmin } from './webhooks';

const ML_ID = /^[A-Za-z0-9_-]{1,64}$/;

function mlOption(raw: string): string {
  if (!ML_ID.test(raw))
    throw new Error(`--ml : identifiant de Mission Locale invalide (${JSON.stringify(raw)})`);
  return raw;
}

async function purgeOnce(ctx: Context) {
  const store = createAlertStore(ctx.redis, ctx.keys.ml);
  return store.purge(
    ctx.clock.now(),
    ctx.config.TDB_ALERTES_RETENTION_JOURS,
    ctx.config.TDB_ALERTES_EXPIRATION_JOURS,
  );
}

async function run(): Promise<void> {
  const ctx = createContext(config(), 'alert-inbox');
  const log = logger('alert-inbox');
  const c = ctx.config;
  void ctx.organismes; // load the referential before the first delivery
  const inbox = await startAlertInbox(ctx);
  const dispatcher = startWebhookDispatcher(ctx, inbox.store, {
    backoffMs: c.TDB_ALERTES_WEBHOOK_BACKOFF_MS,
    maxAttempts: c.TDB_ALERTES_WEBHOOK_TENTATIVES,
  });
  const sweep = async () => {
    try {
      const r = await purgeOnce(ctx);
      if (r.expirees + r.supprimees > 0) log.info(r, 'retention sweep');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'retention sweep failed (retried later)');
    }
  };
  void sweep();
  const timer = setInterval(() => void sweep(), c.TDB_ALERTES_PURGE_MS);
  log.info({ namespace: c.TDB_NAMESPACE }, 'alert inbox started');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, ...inbox.totals }, 'stopping after the batches in progress');
    clearInterval(timer);
    try {
      await inbox.stop();
      await dispatcher.stop();
      await ctx.close();
      process.exit(0);
    } catch (err) {
      process.stderr.write(`tdb alertes: ${(err as Error).message}\n`);
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  void inbox.fatal.then((err) => {
    process.stderr.write(`tdb alertes: the consumer stopped: ${err.message}\n`);
    process.exit(1);
  });
}

/** Runs `fn` with a context, closed afterwards. */
async function withContext(fn: (ctx: Context) => Promise<void>): Promise<void> {
  const ctx = createContext(config(), 'alertes-cli');
  try {
    await fn(ctx);
  } finally {
    await ctx.close();
  }
}

export function registerAlertesCommands(program: Command): void {
  const alertes = program
    .command('alertes')
    .description('the Mission Locale alert service (inbox, webhooks, retention)');
  alertes
    .command('run')
    .description(
      'consume dropout alerts and transitions (consumer group <namespace>.alert-inbox), deliver webhooks, sweep old alerts; until SIGTERM',
    )
    .action(run);
  alertes
    .command('purge')
    .description(
      'close alerts open longer than TDB_ALERTES_EXPIRATION_JOURS, delete alerts closed longer than TDB_ALERTES_RETENTION_JOURS',
    )
    .action(() =>
      withContext(async (ctx) => {
        const r = await purgeOnce(ctx);
        process.stdout.write(`${JSON.stringify(r)}\n`);
      }),
    );

  const webhook = alertes.command('webhook').description("a Mission Locale's webhook");
  webhook
    .command('set')
    .description('register (or replace) the webhook; prints its signing secret once')
    .requiredOption('--ml <id>', 'Mission Locale id', mlOption)
    .requiredOption('--url <url>', 'https URL receiving the events (http only to localhost)')
    .option('--par <nom>', 'who registers it (kept with the webhook)', process.env.USER ?? 'cli')
    .action((o: { ml: string; url: string; par: string }) =>
      withContext(async (ctx) => {
        const admin = webhookAdmin(ctx.redis, ctx.keys.ml, ctx.secrets.dataKey);
        const { url, secret } = await admin.set(o.ml, o.url, o.par, ctx.clock.now());
        process.stdout.write(`${JSON.stringify({ mission_locale_id: o.ml, url, secret })}\n`);
        process.stderr.write(
          'keep the secret: it is shown only now (signature: README of streams/alert-inbox)\n',
        );
      }),
    );
  webhook
    .command('show')
    .description('the registered URL (never the secret)')
    .requiredOption('--ml <id>', 'Mission Locale id', mlOption)
    .action((o: { ml: string }) =>
      withContext(async (ctx) => {
        const cfg = await webhookAdmin(ctx.redis, ctx.keys.ml, ctx.secrets.dataKey).get(o.ml);
        if (!cfg) throw new Error(`no webhook for ${o.ml}`);
        process.stdout.write(
          `${JSON.stringify({ mission_locale_id: o.ml, url: cfg.url, created_at: cfg.created_at, par: cfg.par })}\n`,
        );
      }),
    );
  webhook
    .command('remove')
    .description('stop delivering to the webhook')
    .requiredOption('--ml <id>', 'Mission Locale id', mlOption)
    .action((o: { ml: string }) =>
      withContext(async (ctx) => {
        const removed = await webhookAdmin(ctx.redis, ctx.keys.ml, ctx.secrets.dataKey).remove(o.ml);
        if (!removed) throw new Error(`no webhook for ${o.ml}`);
        process.stdout.write(`removed ${o.ml}\n`);
      }),
    );
  webhook
    .command('livraisons')
    .description('the delivery log, newest first (one JSON line per attempt)')
    .requiredOption('--ml <id>', 'Mission Locale id', mlOption)
    .option('-n, --count <n>', 'attempts to show', (v) => Number(v), 50)
    .action((o: { ml: string; count: number }) =>
      withContext(async (ctx) => {
        const rows = await webhookAdmin(ctx.redis, ctx.keys.ml, ctx.secrets.dataKey).deliveries(
          o.ml,
          o.count,
        );
        for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
      }),
    );
}
