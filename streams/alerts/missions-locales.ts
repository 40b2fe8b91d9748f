/**
 * Referential of the Missions Locales: which Mission Locale is responsible for the young people
 * living in each commune (status-rules.md, "Who the Mission Locale must hear about").
 *
 * Format (documented in streams/processor/README.md): a UTF-8 CSV (BOM tolerated), `;`-separated,
 * with a header line and the columns
 *   code_commune_insee;mission_locale_id;mission_locale_nom;departement
 * code_commune_insee is the INSEE code of the commune (5 characters, `2A`/`2B` for Corsica);
 * mission_locale_id a stable id of the Mission Locale; departement the Mission Locale's département.
 * A commune appears at most once. An invalid line stops the load with an error naming the line.
 */
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { PermanentError } from '../../infra/errors';

export interface MissionLocale {
  id: string;
  nom: string;
  departement: string;
}

export interface MissionsLocalesReferential {
  /**
   * The Mission Locale responsible for an INSEE commune code (an arrondissement of Paris, Lyon or
   * Marseille falls back to its commune), or undefined when the commune is not listed.
   */
  ofCommune(codeCommune: string): MissionLocale | undefined;
  /** Number of communes listed. */
  readonly size: number;
  /** Where it came from (a path, or "empty"). */
  readonly source: string;
}

export class MissionsLocalesError extends PermanentError {
  override name = 'MissionsLocalesError';
}

const COLUMNS = ['code_commune_insee', 'mission_locale_id', 'mission_locale_nom', 'departement'] as const;
const CODE_COMMUNE = /^([0-9]{2}|2A|2B)[0-9]{3}$/;

/** The queue of the alerts whose commune has no Mission Locale in the referential. */
export function unassignedQueue(departement: string | undefined): string {
  return `unassigned-${departement || 'inconnu'}`;
}

/**
 * Paris, Lyon and Marseille are split into arrondissements municipaux with their own INSEE codes
 * (75101–75120, 69381–69389, 13201–13216); a referential lists the commune (75056, 69123, 13055).
 */
export function parentOfArrondissement(code: string): string | undefined {
  if (/^751(0[1-9]|1[0-9]|20)$/.test(code)) return '75056';
  if (/^6938[1-9]$/.test(code)) return '69123';
  if (/^132(0[1-9]|1[0-6])$/.test(code)) return '13055';
  return undefined;
}

/** A referential without any commune: every alert goes to the unassigned queue of its département. */
export function emptyMissionsLocales(): MissionsLocalesReferential {
  return { ofCommune: () => undefined, size: 0, source: 'empty' };
}

/** Parses the CSV text (see the format above). Throws MissionsLocalesError naming the line and the field. */
export function parseMissionsLocales(text: string | Buffer, source = 'inline'): MissionsLocalesReferential {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, delimiter: ';', bom: true, trim: true, skip_empty_lines: true });
  } catch (err) {
    throw new MissionsLocalesError(`${source}: not a readable CSV (${(err as Error).message})`);
  }
  const header = rows[0] ? Object.keys(rows[0]) : [];
  for (const col of COLUMNS) {
    if (rows.length > 0 && !header.includes(col)) {
      throw new MissionsLocalesError(`${source}: missing column "${col}" (expected ${COLUMNS.join(';')})`);
    }
  }
  const byCommune = new Map<string, MissionLocale>();
  rows.forEach((r, i) => {
    const line = i + 2; // 1-based, after the header
    const code = (r.code_commune_insee ?? '').toUpperCase();
    if (!CODE_COMMUNE.test(code)) {
      throw new MissionsLocalesError(
        `${source} line ${line}: code_commune_insee "${r.code_commune_insee}" is not an INSEE commune code`,
      );
    }
    if (!r.mission_locale_id)
      throw new MissionsLocalesError(`${source} line ${line}: mission_locale_id is empty`);
    if (byCommune.has(code))
      throw new MissionsLocalesError(`${source} line ${line}: commune ${code} is listed twice`);
    byCommune.set(code, {
      id: r.mission_locale_id,
      nom: r.mission_locale_nom ?? '',
      departement: r.departement ?? '',
    });
  });
  return {
    ofCommune: (c) => byCommune.get(c) ?? byCommune.get(parentOfArrondissement(c) ?? ''),
    size: byCommune.size,
    source,
  };
}

/** Reads the referential file at `file` (format above). */
export function loadMissionsLocales(file: string): MissionsLocalesReferential {
  let text: Buffer;
  try {
    text = fs.readFileSync(file);
  } catch (err) {
    throw new MissionsLocalesError(
      `${file}: cannot read the Missions Locales referential (${(err as Error).message})`,
    );
  }
  return parseMissionsLocales(text, file);
}
