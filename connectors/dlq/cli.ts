/**
 * `tdb dlq list [--organisme UAI] [--depuis ISO] [--limit N] [--json] [--dechiffrer]`: the rejected
 * items of the namespace's dead-letter topic (read.ts), one block per item on stdout (or one JSON
 * object per line with --json): when, connector, organisation, location, errors (code, field,
 * message). --dechiffrer also prints the original input, opened with TDB_DATA_KEY: personal data
 * in clear, for operators only. Progress and the summary go to stderr.
 */
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { config } from '../../infra/config';
import { createContext } from '../../infra/context';
import { isValidUai } from '../../streams/referentiels/identifiants';
import { printable } from '../core/printable';
import { readDeadLetters, type DeadLetterEntry } from './read';

const err = (s: string) => process.stderr.write(`${s}\n`);

/** One rejected item for a terminal (texts escaped: no raw control characters). */
export function formatEntry(e: DeadLetterEntry): string {
  const r = e.record;
  const org =
    r.organisme_uai || r.organisme_siret
      ? `UAI ${r.organisme_uai ?? '?'} / SIRET ${r.organisme_siret ?? '?'}`
      : 'organisme inconnu';
  const lines = [
    `${new Date(r.ingestion_time).toISOString()}  ${printable(r.connector, 40)}  ${org}  ${printable(r.location ?? '-', 200)}  (partition ${e.partition}, offset ${e.offset})`,
    // Messages name their field already ("nom_apprenant : champ requis vide"): not twice.
    ...r.errors.map(
      (x) =>
        `  ${x.code}  ${printable(x.message.startsWith(`${x.path} `) ? x.message : `${x.path} : ${x.message}`, 1000)}`,
    ),
  ];
  if (e.input !== undefined) lines.push(`  entrée : ${printable(JSON.stringify(e.input), 100_000)}`);
  return lines.join('\n');
}

/** One rejected item as a JSON line (--json). */
export function jsonEntry(e: DeadLetterEntry): Record<string, unknown> {
  return {
    time: new Date(e.record.ingestion_time).toISOString(),
    ...e.record,
    key: e.key,
    partition: e.partition,
    offset: e.offset,
    ...(e.input !== undefined ? { input: e.input } : {}),
  };
}

/** An ISO date or date-time → epoch ms (a bare date is midnight UTC); a day that does not exist is refused. */
function parseSince(s: string): number {
  const dt = DateTime.fromISO(s.trim(), { zone: 'utc' });
  if (!dt.isValid)
    throw new Error(
      `--depuis: an ISO 8601 date or date-time that exists is expected, got "${printable(s, 60)}"`,
    );
  return dt.toMillis();
}

export function registerDlqCommands(program: Command): void {
  const dlq = program
    .command('dlq')
    .description("the dead-letter topic: rejected items with their errors (namespace's TDB_NAMESPACE)");
  dlq
    .command('list')
    .description(
      'list rejected items, oldest first: when, connector, organisation, location (élément N / file line, counted from 1), errors (code, field, message)',
    )
    .option('--organisme <uai>', "only this organisation's items (UAI)")
    .option('--depuis <iso>', 'only items rejected at or after this date or date-time (ISO 8601)')
    .option('--limit <n>', 'at most n items: the most recent ones', '100')
    .option('--json', 'one JSON object per line')
    .option(
      '--dechiffrer',
      'also print the original input, decrypted with TDB_DATA_KEY: PERSONAL DATA IN CLEAR, operators only',
    )
    .addHelpText(
      'after',
      '\nThe original input is stored encrypted; inputs over 64 KiB of JSON are kept truncated ({"$tronque": {octets, limite}, "apercu": {...}}).\nExit codes: 0 listed (possibly nothing), 1 error (Kafka or the registry unavailable, bad option).',
    )
    .action(
      async (o: {
        organisme?: string;
        depuis?: string;
        limit: string;
        json?: boolean;
        dechiffrer?: boolean;
      }) => {
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit: a whole number ≥ 1 is expected');
        const depuis = o.depuis === undefined ? undefined : parseSince(o.depuis);
        if (o.organisme !== undefined && !isValidUai(o.organisme.trim().toUpperCase()))
          throw new Error(
            `--organisme: "${printable(o.organisme, 40)}" is not a UAI (7 digits and the check letter)`,
          );
        const ctx = createContext(config(), 'dlq');
        try {
          err(`reading ${ctx.topics.deadLetter}…`);
          const { entries, read, matching } = await readDeadLetters(ctx, {
            organisme: o.organisme,
            depuis,
            limit,
            dechiffrer: o.dechiffrer === true,
          });
          for (const e of entries)
            process.stdout.write(`${o.json ? JSON.stringify(jsonEntry(e)) : formatEntry(e)}\n`);
          err(`${entries.length} rejected item(s) shown, ${matching} matching, ${read} read`);
        } finally {
          await ctx.close();
        }
      },
    );
}
