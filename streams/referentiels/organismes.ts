/**
 * Referential of training organisations (organismes de formation), read from a CSV file in the
 * format of the national dashboard's export (shared/data/organismes.csv):
 * `uai;siret;raison_sociale;enseigne;nature;departement;commune;adresse;prepa_apprentissage`,
 * UTF-8 with or without BOM, `;`-separated, quoted fields possibly spanning lines.
 *
 * An organisation is "reliable" (fiable) when its (UAI, SIRET) pair is in the referential; only
 * reliable organisations' learners are counted (status-rules.md, "Counting").
 */
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { departementOfUai, isValidSiret, isValidUai, uaiCheckLetter, withLuhnDigit } from './identifiants';
import { normaliseName, type Territoires } from './territoires';
import { PermanentError } from '../../infra/errors';

export type NatureOrganisme = 'responsable' | 'formateur' | 'responsable_formateur' | 'inconnue';

export interface Organisme {
  uai: string;
  siret: string;
  raison_sociale: string;
  enseigne: string | null;
  nature: NatureOrganisme;
  departement: string;
  /** Commune name as given by the referential. */
  commune: string;
  /** INSEE code of the commune, resolved from the address' postcode or the name; null if ambiguous. */
  code_commune: string | null;
  adresse: string;
}

export interface OrganismesReferential {
  readonly all: readonly Organisme[];
  /** Every organisation known under this UAI (several SIRETs are possible). */
  byUai(uai: string): readonly Organisme[];
  /** The organisation with exactly this (UAI, SIRET) pair. */
  get(uai: string, siret: string): Organisme | undefined;
  /** True when the pair is in the referential (or, without a referential file, when both identifiers are valid). */
  isReliable(uai: string, siret: string): boolean;
  /** Where the referential came from (a path, or "generated"). */
  readonly source: string;
}

const NATURES = new Set<NatureOrganisme>(['responsable', 'formateur', 'responsable_formateur', 'inconnue']);

export class ReferentialError extends PermanentError {
  override name = 'ReferentialError';
}

/** Reads the CSV at `file`. Rows with an invalid UAI or SIRET are skipped and counted in `skipped`. */
export function loadOrganismes(
  file: string,
  territoires?: Territoires,
): OrganismesReferential & { skipped: number } {
  let rows: Record<string, string>[];
  try {
    rows = parse(fs.readFileSync(file), {
      columns: true,
      delimiter: ';',
      bom: true,
      relax_column_count: true,
      trim: true,
    });
  } catch (err) {
    throw new ReferentialError(`${file}: not a readable organisations CSV (${(err as Error).message})`);
  }
  const header = rows[0] ? Object.keys(rows[0]) : [];
  for (const col of ['uai', 'siret', 'nature', 'departement', 'commune']) {
    if (!header.includes(col))
      throw new ReferentialError(
        `${file}: missing column "${col}" (expected uai;siret;raison_sociale;enseigne;nature;departement;commune;adresse)`,
      );
  }
  let skipped = 0;
  const list: Organisme[] = [];
  for (const r of rows) {
    const uai = (r.uai ?? '').toUpperCase();
    const siret = (r.siret ?? '').replace(/\D/g, '');
    if (!isValidUai(uai) || !isValidSiret(siret)) {
      skipped++;
      continue;
    }
    const departement = r.departement || departementOfUai(uai) || '';
    const adresse = (r.adresse ?? '').replace(/\s+/g, ' ');
    const postcode = /\b(\d{5})\b(?!.*\b\d{5}\b)/.exec(adresse)?.[1];
    const code_commune =
      (territoires && r.commune ? territoires.communeByName(departement, r.commune) : undefined) ??
      (territoires && postcode ? territoires.communeByPostcode(postcode) : undefined) ??
      null;
    list.push({
      uai,
      siret,
      raison_sociale: r.raison_sociale ?? '',
      enseigne: r.enseigne || null,
      nature: NATURES.has(r.nature as NatureOrganisme) ? (r.nature as NatureOrganisme) : 'inconnue',
      departement,
      commune: r.commune ?? '',
      code_commune,
      adresse,
    });
  }
  return { ...indexOrganismes(list, file), skipped };
}

function indexOrganismes(
  list: Organisme[],
  source: string,
  reliableWithoutReferential = false,
): OrganismesReferential {
  const byUai = new Map<string, Organisme[]>();
  for (const o of list) {
    const arr = byUai.get(o.uai) ?? [];
    arr.push(o);
    byUai.set(o.uai, arr);
  }
  const get = (uai: string, siret: string) => byUai.get(uai)?.find((o) => o.siret === siret);
  return {
    all: list,
    byUai: (uai) => byUai.get(uai) ?? [],
    get,
    isReliable: (uai, siret) =>
      reliableWithoutReferential ? isValidUai(uai) && isValidSiret(siret) : get(uai, siret) !== undefined,
    source,
  };
}

/**
 * Without a referential file: `count` organisations with valid UAI check letters and SIRET Luhn
 * keys, spread over the given départements' communes (deterministic for a seed). Every
 * organisation with valid identifiers then counts as reliable.
 */
export function generateOrganismes(count: number, territoires: Territoires, seed = 1): OrganismesReferential {
  let state = seed >>> 0 || 1;
  const rand = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const deps = [...territoires.codes.departements].filter((d) => d.length <= 3 && d !== '975');
  const list: Organisme[] = [];
  const seen = new Set<string>();
  while (list.length < count) {
    const dep = deps[Math.floor(rand() * deps.length)] as string;
    const prefix = dep === '2A' ? '620' : dep === '2B' ? '720' : dep.length === 2 ? `0${dep}` : dep;
    const seven = prefix + String(Math.floor(rand() * 10000)).padStart(4, '0');
    const uai = seven + uaiCheckLetter(seven);
    if (seen.has(uai)) continue;
    seen.add(uai);
    const siret = withLuhnDigit(
      String(100000000 + Math.floor(rand() * 899999999)) +
        String(Math.floor(rand() * 10000)).padStart(4, '0'),
    );
    list.push({
      uai,
      siret,
      raison_sociale: `CFA ${normaliseName(dep).toUpperCase()} ${list.length + 1}`,
      enseigne: null,
      nature: 'responsable_formateur',
      departement: dep,
      commune: '',
      code_commune: null,
      adresse: '',
    });
  }
  return indexOrganismes(list, 'generated', true);
}
