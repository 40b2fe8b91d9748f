/**
 * The SQL of the transmission reports (routes.ts, suivi.ts, territoire.ts), from the `transmissions` table
 * (migration 0001: one row per received batch, ReplacingMergeTree, read FINAL), built only from
 * api/sql/render.ts. `uai` is a checked UAI (routes.ts), `since` a day number.
 */
import { ident, lit, sql, table, type Sql } from '../sql/render';

/** The volume columns of a batch, in the report's order. */
export const VOLUMES = [
  'recus',
  'acceptes',
  'rejetes',
  'inchanges',
  'crees',
  'modifies',
  'non_transmis',
] as const;

const col = (v: (typeof VOLUMES)[number]) => ident(v, VOLUMES);
const sums = () => VOLUMES.map((v) => sql`sum(${col(v)}) AS ${col(v)}`);

/**
 * Rows (batch_id, recu_le 'YYYY-MM-DD hh:mm:ss', connector, erp, …volumes) of the `n` latest
 * batches of the organisation, newest first (none if it never transmitted).
 */
export function lastTransmissionsSql(database: string, uai: string, n: number): Sql {
  return sql`SELECT batch_id, toString(received_at) AS recu_le, connector, erp, ${VOLUMES.map((v) => col(v))} FROM ${table(database, 'transmissions')} FINAL WHERE organisme_uai = ${lit.string(uai)} ORDER BY received_at DESC, batch_id DESC LIMIT ${lit.uint(n)}`;
}

/** One row (lots, …volumes): every batch of the organisation summed. */
export function transmissionTotalsSql(database: string, uai: string): Sql {
  return sql`SELECT count() AS lots, ${sums()} FROM ${table(database, 'transmissions')} FINAL WHERE organisme_uai = ${lit.string(uai)}`;
}

/** Rows (jour 'YYYY-MM-DD', lots, …volumes) per day received from day `since` on, in day order. */
export function transmissionsByDaySql(database: string, uai: string, since: number): Sql {
  return sql`SELECT toString(toDate(received_at)) AS jour, count() AS lots, ${sums()} FROM ${table(database, 'transmissions')} FINAL WHERE organisme_uai = ${lit.string(uai)} AND toDate(received_at) >= ${lit.date(since)} GROUP BY jour ORDER BY jour`;
}

/**
 * Rows (uai, siret, premiere, derniere 'YYYY-MM-DD hh:mm:ss', lots, recus, rejetes): every
 * organisation (UAI, SIRET pair) that ever transmitted, its first and last batch and its totals,
 * in (uai, siret) order (api/organismes/territoire.ts filters them by the caller's territory).
 */
export function transmissionsByOrganismeSql(database: string): Sql {
  return sql`SELECT organisme_uai AS uai, organisme_siret AS siret, toString(min(received_at)) AS premiere, toString(max(received_at)) AS derniere, count() AS lots, sum(recus) AS recus, sum(rejetes) AS rejetes FROM ${table(database, 'transmissions')} FINAL GROUP BY uai, siret ORDER BY uai, siret`;
}

/** The builders of this module (test/chdb runs each on ClickHouse 18.16 and current ClickHouse). */
export const SQL_BUILDERS = {
  lastTransmissionsSql,
  transmissionTotalsSql,
  transmissionsByDaySql,
  transmissionsByOrganismeSql,
};
