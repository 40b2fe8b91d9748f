/**
 * Referential of the links between training organisations: which formateur (a site, an
 * antenne) is attached to which organisme responsable. A responsible CFA transmits the records of
 * its attached formateurs with its own API key (connectors/core/authorisation.ts); any other
 * formateur's records it may not write.
 *
 * File: `TDB_RELATIONS_ORGANISMES_CSV`, UTF-8 with or without BOM, `;`-separated, one relation
 * per row, header `uai_responsable;siret_responsable;uai_formateur;siret_formateur` (columns in
 * any order, other columns ignored). Identifiers are compared in their normalised form: UAI trimmed
 * and upper case, SIRET digits only (spaces, dots and dashes removed). A row whose UAI check
 * letter or SIRET key is wrong is skipped and counted in `skipped` (said at start-up), never
 * guessed. Without the file there is no relation: a key writes only its own formateur's records.
 *
 * Kept apart from organismes.ts: the organisations referential will gain its own relations later
 * (the national referential's `relations` field); this module's interface stays the same.
 */
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { isValidSiret, isValidUai } from './identifiants';
import { ReferentialError } from './organismes';

/** An organisation's identifiers (UAI, SIRET), normalised. */
export interface PaireOrganisme {
  uai: string;
  siret: string;
}

export interface RelationsOrganismes {
  /** True when `formateur` is attached to `responsable` (both pairs exact, normalised). */
  isAttached(responsable: PaireOrganisme, formateur: PaireOrganisme): boolean;
  /** The formateurs attached to `responsable` (for tools and messages). */
  formateursOf(responsable: PaireOrganisme): readonly PaireOrganisme[];
  /** Number of relations loaded. */
  readonly size: number;
  /** Rows skipped for an invalid identifier. */
  readonly skipped: number;
  /** Where the relations came from (a path, or "aucun"). */
  readonly source: string;
}

export const RELATIONS_COLUMNS = [
  'uai_responsable',
  'siret_responsable',
  'uai_formateur',
  'siret_formateur',
] as const;

/** The form identifiers are compared in (the normalisers' form for valid values). */
export const normalisedUai = (raw: string) => raw.replace(/\s+/g, '').toUpperCase();
export const normalisedSiret = (raw: string) => raw.replace(/[\s.\-\u00a0]/g, '');

const pairKey = (p: PaireOrganisme) => `${p.uai}|${p.siret}`;

/** Relations from a list of (responsable, formateur) pairs (already normalised and valid). */
export function relationsOf(
  links: readonly { responsable: PaireOrganisme; formateur: PaireOrganisme }[],
  source = 'liste',
  skipped = 0,
): RelationsOrganismes {
  const byResponsable = new Map<string, PaireOrganisme[]>();
  const set = new Set<string>();
  for (const { responsable, formateur } of links) {
    const k = `${pairKey(responsable)}>${pairKey(formateur)}`;
    if (set.has(k)) continue;
    set.add(k);
    const list = byResponsable.get(pairKey(responsable)) ?? [];
    list.push(formateur);
    byResponsable.set(pairKey(responsable), list);
  }
  return {
    isAttached: (r, f) => set.has(`${pairKey(r)}>${pairKey(f)}`),
    formateursOf: (r) => byResponsable.get(pairKey(r)) ?? [],
    size: set.size,
    skipped,
    source,
  };
}

/** No relation at all (no referential file). */
export const NO_RELATIONS: RelationsOrganismes = relationsOf([], 'aucun');

/** Reads the relations CSV at `file`. Throws ReferentialError when it is unreadable or lacks a column. */
export function loadRelations(file: string): RelationsOrganismes {
  let rows: Record<string, string>[];
  try {
    rows = parse(fs.readFileSync(file), {
      columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()),
      delimiter: ';',
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    });
  } catch (err) {
    throw new ReferentialError(`${file}: not a readable relations CSV (${(err as Error).message})`);
  }
  const header = rows[0] ? Object.keys(rows[0]) : [];
  for (const col of RELATIONS_COLUMNS) {
    if (rows.length > 0 && !header.includes(col))
      throw new ReferentialError(
        `${file}: missing column "${col}" (expected ${RELATIONS_COLUMNS.join(';')})`,
      );
  }
  let skipped = 0;
  const links: { responsable: PaireOrganisme; formateur: PaireOrganisme }[] = [];
  for (const r of rows) {
    const responsable = {
      uai: normalisedUai(r.uai_responsable ?? ''),
      siret: normalisedSiret(r.siret_responsable ?? ''),
    };
    const formateur = {
      uai: normalisedUai(r.uai_formateur ?? ''),
      siret: normalisedSiret(r.siret_formateur ?? ''),
    };
    const valid = [responsable, formateur].every((p) => isValidUai(p.uai) && isValidSiret(p.siret));
    if (!valid) {
      skipped++;
      continue;
    }
    links.push({ responsable, formateur });
  }
  return relationsOf(links, file, skipped);
}
