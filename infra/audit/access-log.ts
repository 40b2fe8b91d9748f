/**
 * The access log of nominative data (ClickHouse table `acces_nominatifs`, migration 0200): one row
 * per disclosure of learners' identities — who (role, subject, scope), when, through which route
 * with which validated parameters, for which reference date, how many rows. No personal data in
 * the row itself. Writers: the read API's nominative lists, the Mission Locale alert routes and
 * webhook deliveries. A disclosure that cannot be logged must not happen (callers write first).
 */
import type { ClickHouse } from '../clickhouse/client';

export interface AccessRecord {
  /** Epoch ms (the platform clock). */
  at: number;
  requestId: string;
  role: string;
  /** Token subject, or the receiver (e.g. "webhook:crm.example.fr"). */
  sujet: string;
  perimetre: readonly string[];
  /** Route pattern, e.g. /api/v1/apprenants. */
  route: string;
  /** The validated parameters (codes only, never names). */
  parametres: Record<string, unknown>;
  /** Reference date of the disclosed list (YYYY-MM-DD). */
  dateReference: string;
  lignes: number;
}

export async function recordAccess(ch: ClickHouse, r: AccessRecord): Promise<void> {
  await ch.insert('acces_nominatifs', [accessRow(r)]);
}

/** The `acces_nominatifs` row of an access (JSONEachRow; `at` in UTC, read by best-effort parsing). */
export function accessRow(r: AccessRecord) {
  return {
    at: new Date(r.at).toISOString().slice(0, 19) + 'Z',
    request_id: r.requestId,
    role: r.role,
    sujet: r.sujet,
    perimetre: [...r.perimetre],
    route: r.route,
    parametres: JSON.stringify(r.parametres),
    date_reference: r.dateReference,
    lignes: r.lignes,
  };
}

/**
 * The builders of this module (test/chdb runs each on ClickHouse 18.16 and current ClickHouse):
 * the row inserted for the read API's and the alert service's nominative disclosures.
 */
export const SQL_BUILDERS = { accessRow };
