/**
 * Labels (libellés) of group codes in indicator tables, from each dimension's label source
 * (streams/facts/descriptors.ts `labels`): région and département names from
 * @etalab/decoupage-administratif (INSEE's Code officiel géographique), académie names from
 * streams/referentiels/data/academies.csv, organisation names from the organisations referential
 * (read once, on first use), or the nomenclature given in the descriptor itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { DIMENSIONS, type LabelSource } from '../../streams/facts/dimensions';
import type { OrganismesReferential } from '../../streams/referentiels/organismes';
import type { GroupDimension } from '../indicateurs/queries';

let cache:
  | { region: Map<string, string>; departement: Map<string, string>; academie: Map<string, string> }
  | undefined;

function load() {
  if (cache) return cache;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const regions = require('@etalab/decoupage-administratif/data/regions.json') as {
    code: string;
    nom: string;
  }[];
  const departements = require('@etalab/decoupage-administratif/data/departements.json') as {
    code: string;
    nom: string;
  }[];
  /* eslint-enable @typescript-eslint/no-require-imports */
  const academies = parse(
    fs.readFileSync(path.join(__dirname, '../../streams/referentiels/data/academies.csv')),
    {
      columns: true,
      delimiter: ';',
    },
  ) as { academie_code: string; academie_nom: string }[];
  cache = {
    region: new Map(regions.map((r) => [r.code, r.nom])),
    departement: new Map(departements.map((d) => [d.code, d.nom])),
    academie: new Map(academies.map((a) => [a.academie_code, a.academie_nom])),
  };
  return cache;
}

/** Label source of each group (descriptors' `labels`). */
const SOURCES = new Map<string, LabelSource>(
  DIMENSIONS.flatMap((d): [string, LabelSource][] => (d.groupBy && d.labels ? [[d.groupBy, d.labels]] : [])),
);

/** The label of a group code, or null when there is none (no label source, unknown codes). */
export function libelleOf(
  dimension: GroupDimension,
  code: string,
  organismes: OrganismesReferential,
): string | null {
  if (code === '') return null;
  const source = SOURCES.get(dimension);
  switch (source) {
    case undefined:
      return null;
    case 'region':
    case 'departement':
    case 'academie':
      return load()[source].get(code) ?? null;
    case 'organisme': {
      const o = organismes.byUai(code)[0];
      return o ? o.enseigne || o.raison_sociale : null;
    }
    default:
      return source[code] ?? null;
  }
}
