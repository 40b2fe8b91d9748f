/**
 * `tdb timeline [--as-of YYYY-MM-DD] [FILE|-]`: the parcours of v3 dossiers, as JSON.
 * The only file of the status module with I/O (files, stdin, stdout, the clock); `runTimeline` is
 * the pure part, tested without spawning.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { calendarDayOfInstant, CalendarDayError, dayFromIso, isoFromDay } from './calendar';
import { statusAt } from './engine';
import { parcoursFromV3 } from './from-v3';
import { statusWarningMessage } from './messages';
import { InvalidDossierError, type Statut, type StatusWarning } from './types';

/** Exit code for input that cannot be used (bad JSON, a dossier with an invalid field, bad --as-of). */
export const EXIT_INVALID_INPUT = 2;

/** What `tdb timeline` prints for one dossier (dates as 'YYYY-MM-DD'). */
export interface TimelineOutput {
  en_cours: Statut;
  parcours: { valeur: Statut; date: string }[];
}

/** What the command writes and its exit code. */
export interface TimelineRun {
  stdout: string;
  stderr: string;
  exitCode: 0 | typeof EXIT_INVALID_INPUT;
}

function describeWarning(where: string, w: StatusWarning): string {
  return `tdb timeline: avertissement : ${where}(${w.champ}, ${w.code}) : ${statusWarningMessage(w)}\n`;
}

/**
 * Runs `tdb timeline` on the text of a JSON document (one dossier object or an array of them) at
 * query date `asOf` (a day number): stdout is one JSON line, `{en_cours, parcours}` or an array of
 * them in input order. Warnings go to stderr (unless `warnings` is false). If the JSON is invalid or
 * any dossier is invalid, stdout is empty, stderr names each invalid dossier (by index) and field,
 * and exitCode is 2.
 */
export function runTimeline(input: string, asOf: number, opts?: { warnings?: boolean }): TimelineRun {
  let doc: unknown;
  try {
    doc = JSON.parse(input);
  } catch (err) {
    return {
      stdout: '',
      stderr: `tdb timeline: JSON invalide : ${err instanceof Error ? err.message : String(err)}\n`,
      exitCode: EXIT_INVALID_INPUT,
    };
  }
  const many = Array.isArray(doc);
  const records: unknown[] = many ? (doc as unknown[]) : [doc];
  const outputs: TimelineOutput[] = [];
  let errors = '';
  let warnings = '';
  for (let i = 0; i < records.length; i++) {
    const where = many ? `dossier[${i}] ` : 'dossier ';
    try {
      const record = records[i];
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        throw new InvalidDossierError('(dossier)', 'DOSSIER_NON_OBJET', 'un dossier doit être un objet JSON');
      }
      const r = parcoursFromV3(record as Record<string, unknown>, { asOf });
      outputs.push({
        en_cours: statusAt(r.parcours, asOf),
        parcours: r.parcours.map((e) => ({ valeur: e.valeur, date: isoFromDay(e.date) })),
      });
      if (opts?.warnings !== false) for (const w of r.warnings) warnings += describeWarning(where, w);
    } catch (err) {
      if (!(err instanceof InvalidDossierError)) throw err;
      errors += `tdb timeline: ${where}invalide (${err.field}, ${err.code}) : ${err.message}\n`;
    }
  }
  if (errors.length > 0) return { stdout: '', stderr: warnings + errors, exitCode: EXIT_INVALID_INPUT };
  return { stdout: `${JSON.stringify(many ? outputs : outputs[0])}\n`, stderr: warnings, exitCode: 0 };
}

async function readInput(file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Registers `timeline [--as-of YYYY-MM-DD] [--no-warnings] [FILE|-]` on the `tdb` program.
 * FILE defaults to stdin (`-`); --as-of defaults to today in Europe/Paris. Exit code 2 (message on
 * stderr) for an unreadable file, invalid JSON, an invalid dossier (naming the field) or an invalid
 * --as-of.
 */
export function registerTimelineCommand(program: Command): Command {
  return program
    .command('timeline')
    .description(
      'parcours et statut en cours de dossiers apprenants (JSON v3 : un objet ou un tableau), sur la sortie standard',
    )
    .argument('[file]', 'fichier JSON, ou - pour l’entrée standard', '-')
    .option('--as-of <date>', 'date de référence AAAA-MM-JJ (défaut : aujourd’hui, Europe/Paris)')
    .option('--no-warnings', 'ne pas afficher les avertissements sur la sortie d’erreur')
    .action(async (file: string, options: { asOf?: string; warnings: boolean }) => {
      let asOf: number;
      try {
        asOf =
          options.asOf === undefined ? calendarDayOfInstant(Date.now()) : dayFromIso(options.asOf.trim());
      } catch (err) {
        if (!(err instanceof CalendarDayError)) throw err;
        process.stderr.write(`tdb timeline: --as-of : ${err.message}\n`);
        process.exitCode = EXIT_INVALID_INPUT;
        return;
      }
      let input: string;
      try {
        input = await readInput(file);
      } catch (err) {
        process.stderr.write(
          `tdb timeline: impossible de lire ${file} : ${err instanceof Error ? err.message : String(err)}\n`,
        );
        process.exitCode = EXIT_INVALID_INPUT;
        return;
      }
      const run = runTimeline(input, asOf, { warnings: options.warnings });
      if (run.stderr.length > 0) process.stderr.write(run.stderr);
      if (run.stdout.length > 0) process.stdout.write(run.stdout);
      if (run.exitCode !== 0) process.exitCode = run.exitCode;
    });
}
