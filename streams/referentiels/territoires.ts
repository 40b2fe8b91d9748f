/**
 * Territories of France: département → région and académie, commune (INSEE code) → zone
 * d'emploi, commune lookup by name or postcode. Sources: @etalab/decoupage-administratif
 * (communes, départements, régions; INSEE's Code officiel géographique), streams/referentiels/data/academies.csv
 * (Éducation nationale's académies, 2020 map), and the zones d'emploi file given by path
 * (TDB_ZONES_EMPLOI_CSV, format `code_commune;code_zone_emploi`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';

interface EtalabDepartement {
  code: string;
  region: string;
  nom: string;
}
interface EtalabCommune {
  code: string;
  nom: string;
  departement?: string;
  type: string;
  codesPostaux?: string[];
}

export interface Territoire {
  departement: string;
  region: string;
  academie: string;
}

export interface Territoires {
  /** Région and académie of a département code ('01'…'95', '2A', '2B', '971'…'976'); undefined if unknown. */
  ofDepartement(departement: string): Territoire | undefined;
  /** Zone d'emploi of an INSEE commune code; undefined if unknown or no zone file was given. */
  zoneEmploiOfCommune(codeCommune: string): string | undefined;
  /** INSEE code of a commune from its name within a département (accents, case, hyphens ignored). */
  communeByName(departement: string, nom: string): string | undefined;
  /** INSEE code of the commune of a postcode, when the postcode has exactly one commune. */
  communeByPostcode(codePostal: string): string | undefined;
  /** INSEE codes of the communes of a département (current communes, no arrondissements). */
  communesOf(departement: string): readonly string[];
  /** Postcodes of an INSEE commune code. */
  postcodesOf(codeCommune: string): readonly string[];
  /** Département of an INSEE commune code. */
  departementOfCommune(codeCommune: string): string | undefined;
  /** Every known département code, région code and académie code (valid filter values). */
  readonly codes: { departements: Set<string>; regions: Set<string>; academies: Set<string> };
}

/** Lower case, no accents, words separated by single spaces; "st" → "saint". */
export function normaliseName(nom: string): string {
  return nom
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .replace(/\b(ste)\b/g, 'sainte')
    .replace(/\b(st)\b/g, 'saint');
}

function readEtalab<T>(file: string): T {
  return JSON.parse(
    fs.readFileSync(require.resolve(`@etalab/decoupage-administratif/data/${file}`), 'utf8'),
  ) as T;
}

export function loadTerritoires(opts: { zonesEmploiCsv?: string } = {}): Territoires {
  // Loaded on first use only (the communes file is 13 MB).
  const departements = readEtalab<EtalabDepartement[]>('departements.json');
  const communes = readEtalab<EtalabCommune[]>('communes.json');

  const academies = new Map<string, string>();
  const academieRows = parse(fs.readFileSync(path.join(__dirname, 'data', 'academies.csv')), {
    columns: true,
    delimiter: ';',
  }) as { departement: string; academie_code: string }[];
  for (const r of academieRows) academies.set(r.departement, r.academie_code);

  const byDep = new Map<string, Territoire>();
  for (const d of departements)
    byDep.set(d.code, { departement: d.code, region: d.region, academie: academies.get(d.code) ?? '' });

  const byName = new Map<string, string>();
  const postcodes = new Map<string, Set<string>>();
  const depOfCommune = new Map<string, string>();
  const communesByDep = new Map<string, string[]>();
  const postcodesByCommune = new Map<string, string[]>();
  for (const c of communes) {
    if (c.type !== 'commune-actuelle' && c.type !== 'arrondissement-municipal') continue;
    const dep = c.departement ?? (c.code.startsWith('97') ? c.code.slice(0, 3) : c.code.slice(0, 2));
    depOfCommune.set(c.code, dep);
    postcodesByCommune.set(c.code, c.codesPostaux ?? []);
    if (c.type === 'commune-actuelle') {
      byName.set(`${dep}|${normaliseName(c.nom)}`, c.code);
      const list = communesByDep.get(dep) ?? [];
      list.push(c.code);
      communesByDep.set(dep, list);
    }
    for (const cp of c.codesPostaux ?? []) {
      const set = postcodes.get(cp) ?? new Set<string>();
      set.add(c.code);
      postcodes.set(cp, set);
    }
  }

  const zones = new Map<string, string>();
  if (opts.zonesEmploiCsv) {
    const rows = parse(fs.readFileSync(opts.zonesEmploiCsv), {
      columns: true,
      delimiter: ';',
      bom: true,
      trim: true,
    }) as {
      code_commune: string;
      code_zone_emploi: string;
    }[];
    for (const r of rows) zones.set(r.code_commune, r.code_zone_emploi);
  }

  return {
    ofDepartement: (d) => byDep.get(d),
    zoneEmploiOfCommune: (code) => zones.get(code),
    communeByName: (dep, nom) => byName.get(`${dep}|${normaliseName(nom)}`),
    communeByPostcode(cp) {
      const set = postcodes.get(cp);
      return set && set.size === 1 ? [...set][0] : undefined;
    },
    communesOf: (dep) => communesByDep.get(dep) ?? [],
    postcodesOf: (code) => postcodesByCommune.get(code) ?? [],
    departementOfCommune: (code) => depOfCommune.get(code),
    codes: {
      departements: new Set(byDep.keys()),
      regions: new Set(departements.map((d) => d.region)),
      academies: new Set(academies.values()),
    },
  };
}
