/**
 * The connectors' commands:
 *   tdb keys create --uai U --siret S [--erp E]   prints a new API key once (stored hashed)
 *   tdb keys revoke <id>                           the key stops working at once
 *   tdb keys list                                  ids, organisations, dates (never the keys)
 *   tdb depot scan                                 processes the drop folder's files once (exit 0
 *                                                  all read, 3 a file refused into failed/, 1 error)
 *   tdb depot watch                                keeps processing new files until SIGINT/SIGTERM
 *   tdb ypareo poll [--url U] [--token T] [--interval S] [--once]
 *   tdb ypareo fake-server [--port P] [--count N] [--seed S] [--token T]
 * Progress and errors go to stderr; results (keys, reports) to stdout.
 */
import type { Command } from 'commander';
import { config } from '../infra/config';
import { createContext, type Context } from '../infra/context';
import { calendarDayOfInstant } from '../streams/status/calendar';
import { createPipeline } from './core/pipeline';
import { depotDir, scanDepot, watchDepot, type DepotOutcome } from './files/depot';
import { redisApiKeyStore } from './http/api-keys';
import { generateDossiers } from './simulation/dossiers';
import { startFakeYpareo } from './ypareo/fake-server';
import { pollYpareo } from './ypareo/poll';
import type { IngestResult } from './core/pipeline';
import { printable } from './core/printable';

const err = (s: string) => process.stderr.write(`${s}\n`);

async function withContext<T>(name: string, fn: (ctx: Context) => Promise<T>): Promise<T> {
  const ctx = createContext(config(), name);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

function untilSignal(): AbortSignal {
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  process.once('SIGTERM', () => ac.abort());
  return ac.signal;
}

const summary = (r: IngestResult) => {
  const n = (s: string) => r.items.filter((o) => o.status === s).length;
  return `${r.items.length} reçus, ${n('cree')} créés, ${n('modifie')} modifiés, ${n('inchange')} inchangés, ${n('rejete')} rejetés, ${r.non_transmis} non transmis`;
};

/** One line per file; names and reasons escaped (a garbage file never prints raw bytes). */
const describe = (o: DepotOutcome) =>
  `${printable(o.file, 200)}: ${o.status}${'erreur' in o.report ? ` (${printable(o.report.erreur, 500)})` : ` (${o.report.lignes} lignes, ${o.report.acceptes} acceptées, ${o.report.rejetes} rejetées, ${o.report.inchanges} inchangées)`} → ${printable(o.movedTo, 400)}`;

/** Exit codes of `tdb depot scan`. */
export const DEPOT_EXIT = { ok: 0, error: 1, fileRefused: 3 } as const;

export function registerConnectorCommands(program: Command): void {
  const keys = program
    .command('keys')
    .description('API keys of the ERP push API (one per training organisation)');
  keys
    .command('create')
    .description('create a key for an organisation; printed once on stdout')
    .requiredOption('--uai <uai>', 'UAI of the organisation')
    .requiredOption('--siret <siret>', 'SIRET of the organisation')
    .option('--erp <erp>', 'the ERP it uses (ypareo, gesti, …)')
    .action((o: { uai: string; siret: string; erp?: string }) =>
      withContext('keys', async (ctx) => {
        // A name, not free text: it is printed by `keys list` and sent in events' source.
        if (o.erp !== undefined && !/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}$/.test(o.erp))
          throw new Error(
            `--erp: ${JSON.stringify(o.erp.slice(0, 60))} is not an ERP name (letters, digits, space . _ -, at most 40)`,
          );
        const { key, record } = await redisApiKeyStore(ctx.redis, ctx.keys.apiKeys).create({
          ...o,
          now: ctx.clock.now(),
        });
        err(
          `key ${record.id} created for UAI ${record.uai} / SIRET ${record.siret}${ctx.organismes.isReliable(record.uai, record.siret) ? '' : ' (warning: this pair is not in the organisations referential)'}`,
        );
        process.stdout.write(`${key}\n`);
      }),
    );
  keys
    .command('revoke <id>')
    .description('revoke a key by its id (see keys list)')
    .action((id: string) =>
      withContext('keys', async (ctx) => {
        if (!(await redisApiKeyStore(ctx.redis, ctx.keys.apiKeys).revoke(id, ctx.clock.now())))
          throw new Error(`no key with id ${id}`);
        err(`key ${id} revoked`);
      }),
    );
  keys
    .command('list')
    .description('list keys (id, organisation, ERP, dates); never the keys themselves')
    .action(() =>
      withContext('keys', async (ctx) => {
        for (const r of await redisApiKeyStore(ctx.redis, ctx.keys.apiKeys).list()) {
          process.stdout.write(
            `${r.id}\t${r.uai}\t${r.siret}\t${r.erp ?? '-'}\t${r.created_at}\t${r.revoked_at ? `revoked ${r.revoked_at}` : 'active'}\n`,
          );
        }
      }),
    );

  const depot = program
    .command('depot')
    .description('the drop folder (TDB_DEPOT_DIR, default TDB_DATA_DIR/depot)');
  depot
    .command('scan')
    .description('process the files now in the drop folder, once each')
    .addHelpText(
      'after',
      `
Each file goes to done/ (read; rejected rows are in its <file>.rapport.json) or failed/ (not a
table of dossiers: empty, binary, no data row, no v3 column; the reason in its .rapport.json).
Exit codes: ${DEPOT_EXIT.ok} every file read (rows may have been rejected), ${DEPOT_EXIT.fileRefused} at least one file refused
into failed/, ${DEPOT_EXIT.error} an error stopped the scan (Kafka, Redis or the registry unavailable).`,
    )
    .action(() =>
      withContext('depot', async (ctx) => {
        const pipeline = createPipeline(ctx);
        try {
          const outcomes = await scanDepot(pipeline, depotDir(ctx.config));
          for (const o of outcomes) err(describe(o));
          err(`${outcomes.length} file(s) processed in ${depotDir(ctx.config)}`);
          if (outcomes.some((o) => o.status === 'failed')) process.exitCode = DEPOT_EXIT.fileRefused;
        } finally {
          await pipeline.close();
        }
      }),
    );
  depot
    .command('watch')
    .description('process new files as they arrive, until SIGINT/SIGTERM')
    .action(() =>
      withContext('depot', async (ctx) => {
        const pipeline = createPipeline(ctx);
        err(`watching ${depotDir(ctx.config)}`);
        try {
          await watchDepot(pipeline, depotDir(ctx.config), untilSignal(), (o) =>
            err(o instanceof Error ? `error: ${printable(o.message, 500)}` : describe(o)),
          );
        } finally {
          await pipeline.close();
        }
      }),
    );

  const ypareo = program.command('ypareo').description('the Yparéo connector (JSON export over HTTP)');
  ypareo
    .command('poll')
    .description('fetch the Yparéo export and ingest it, every --interval seconds')
    .option('--url <url>', 'URL of the export (default TDB_YPAREO_URL)')
    .option('--token <token>', 'bearer token (default TDB_YPAREO_TOKEN)')
    .option('--interval <seconds>', 'seconds between two fetches', '3600')
    .option('--once', 'fetch once and exit')
    .action((o: { url?: string; token?: string; interval: string; once?: boolean }) =>
      withContext('ypareo', async (ctx) => {
        const url = o.url ?? ctx.config.TDB_YPAREO_URL;
        if (!url) throw new Error('no export URL: give --url or set TDB_YPAREO_URL');
        const interval = Number(o.interval);
        if (!Number.isFinite(interval) || interval < 1)
          throw new Error('--interval: a number of seconds ≥ 1');
        const pipeline = createPipeline(ctx);
        const ac = new AbortController();
        const stop = untilSignal();
        stop.addEventListener('abort', () => ac.abort());
        let failed = false;
        try {
          await pollYpareo(
            pipeline,
            { url, token: o.token ?? ctx.config.TDB_YPAREO_TOKEN },
            interval * 1000,
            ac.signal,
            (r) => {
              if (r instanceof Error) {
                failed = true;
                err(`yparéo: ${r.message}`);
              } else err(`yparéo: ${summary(r)}`);
              if (o.once) ac.abort();
            },
          );
        } finally {
          await pipeline.close();
        }
        if (o.once && failed) process.exitCode = 1;
      }),
    );
  ypareo
    .command('fake-server')
    .description('serve a fictitious Yparéo export of simulated learners (tests, demo)')
    .option('--port <port>', 'port', '8090')
    .option('--count <n>', 'learners', '500')
    .option('--seed <n>', 'seed of the simulation', '1')
    .option('--token <token>', 'require this bearer token')
    .action((o: { port: string; count: string; seed: string; token?: string }) =>
      withContext('ypareo-fake', async (ctx) => {
        const dossiers = [
          ...generateDossiers({
            count: Number(o.count),
            seed: Number(o.seed),
            organismes: ctx.organismes,
            territoires: ctx.territoires,
            today: calendarDayOfInstant(ctx.clock.now()),
          }),
        ];
        const server = await startFakeYpareo({ dossiers, port: Number(o.port), token: o.token });
        err(`fake Yparéo export of ${dossiers.length} learners at ${server.url} (Ctrl-C to stop)`);
        await new Promise<void>((resolve) =>
          untilSignal().addEventListener('abort', () => resolve(), { once: true }),
        );
        await server.close();
      }),
    );
}
