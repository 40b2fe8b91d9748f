/**
 * SQL of the nominative lists: the learner records (dossiers FINAL, not deleted, counted: reliable
 * organisation and apprentice, training period covering D) joined with their status at D from the
 * status intervals (statut_intervalles FINAL, not deleted, debut <= D <= fin). Same population
 * and same statuses as the indicators, so a list's length is the matching count.
 *
 * Both sides of the join are aliased: current ClickHouse refuses a joined subquery without an
 * alias (ALIAS_REQUIRED, joined_subquery_requires_alias); 18.16 accepts both forms.
 */
import type { Statut } from '../../streams/status';
import { filterConditions, scopeCondition, type Filters, type ScopeRestriction } from '../sql/filters';
import { and, inList, lit, sql, table, type Sql } from '../sql/render';

export interface ListSelection {
  day: string;
  filters: Filters;
  scope: ScopeRestriction | null;
  statuts: readonly Statut[];
}

const STATUTS: readonly Statut[] = ['INSCRIT', 'APPRENTI', 'RUPTURANT', 'ABANDON', 'FIN_DE_FORMATION'];

function from(database: string, s: ListSelection): Sql {
  const d = lit.date(s.day);
  const dossierWhere = and([
    sql`deleted = 0`,
    sql`fiable = 1`,
    sql`apprentissage = 1`,
    sql`date_entree <= ${d}`,
    sql`date_fin >= ${d}`,
    ...filterConditions(s.filters),
    ...(s.scope ? [scopeCondition(s.scope)] : []),
  ]);
  const statuts = s.statuts.filter((x) => STATUTS.includes(x)).map((x) => lit.string(x));
  const intervalWhere = and([
    sql`deleted = 0`,
    sql`debut <= ${d}`,
    sql`fin >= ${d}`,
    inList(sql`statut`, statuts),
  ]);
  return sql`(SELECT record_key, organisme_uai, organisme_siret, formation_cfd, formation_rncp, niveau, departement, zone_emploi, code_commune_insee, date_entree, date_fin, identite_chiffree FROM ${table(database, 'dossiers')} FINAL WHERE ${dossierWhere}) AS d ANY INNER JOIN (SELECT record_key, statut, debut AS statut_depuis FROM ${table(database, 'statut_intervalles')} FINAL WHERE ${intervalWhere}) AS s USING record_key`;
}

/** One page of the list, ordered by organisation then record key. */
export function listSql(database: string, s: ListSelection, offset: number, limit: number): Sql {
  return sql`SELECT record_key, organisme_uai, organisme_siret, formation_cfd, formation_rncp, niveau, departement, zone_emploi, code_commune_insee, date_entree, date_fin, statut, statut_depuis, identite_chiffree FROM ${from(database, s)} ORDER BY organisme_uai, record_key LIMIT ${lit.uint(offset)}, ${lit.uint(limit)}`;
}

/** The list's length. */
export function listCountSql(database: string, s: ListSelection): Sql {
  return sql`SELECT count() AS n FROM ${from(database, s)}`;
}

/** The builders of this module (test/chdb runs each on ClickHouse 18.16 and current ClickHouse). */
export const SQL_BUILDERS = { listSql, listCountSql };
