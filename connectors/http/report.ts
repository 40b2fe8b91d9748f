/** The per-row report of a file (upload reply, `<file>.rapport.json` of the drop folder). */
import type { IngestResult, ItemOutcome } from '../core/pipeline';

export interface FileReport {
  batch_id: string;
  fichier: string;
  format: string;
  encodage?: string;
  separateur?: string;
  lignes: number;
  acceptes: number;
  rejetes: number;
  crees: number;
  modifies: number;
  inchanges: number;
  non_transmis: number;
  /** One entry per data row, in file order; `ligne` counts the header as line 1. */
  rapport: {
    ligne: number;
    statut: ItemOutcome['status'];
    record_key: string | null;
    validation_errors: ItemOutcome['errors'];
    avertissements: string[];
  }[];
}

export function fileReport(
  fichier: string,
  table: { format: string; encoding?: string; separator?: string },
  result: IngestResult,
  firstLine = 2,
): FileReport {
  const count = (s: ItemOutcome['status']) => result.items.filter((o) => o.status === s).length;
  return {
    batch_id: result.batch_id,
    fichier,
    format: table.format,
    ...(table.encoding ? { encodage: table.encoding } : {}),
    ...(table.separator ? { separateur: table.separator } : {}),
    lignes: result.items.length,
    acceptes: result.items.length - count('rejete'),
    rejetes: count('rejete'),
    crees: count('cree'),
    modifies: count('modifie'),
    inchanges: count('inchange'),
    non_transmis: result.non_transmis,
    rapport: result.items.map((o, i) => ({
      ligne: i + firstLine,
      statut: o.status,
      record_key: o.record_key,
      validation_errors: o.errors,
      avertissements: o.warnings.map((w) => `${w.code}:${w.path}`),
    })),
  };
}
