/**
 * The access log of nominative reads (ClickHouse table acces_nominatifs, migration 0200): who
 * (role, token subject, scope), when, which route with which validated parameters, for which
 * reference date, how many rows were disclosed. Written before the response is sent: a read that
 * cannot be logged is not served. Reused by the Mission Locale alerts routes (issue 7).
 */
import { recordAccess } from '../../infra/audit/access-log';
import type { ClickHouse } from '../../infra/clickhouse/client';
import type { Principal } from '../auth/tokens';

export interface AccessLogEntry {
  principal: Principal;
  requestId: string;
  /** Route pattern, e.g. /api/v1/apprenants. */
  route: string;
  /** The validated parameters (codes only, never names). */
  parametres: Record<string, unknown>;
  /** Reference date of the list (YYYY-MM-DD). */
  dateReference: string;
  lignes: number;
  /** Epoch ms (the platform clock). */
  at: number;
}

export async function logNominativeAccess(ch: ClickHouse, e: AccessLogEntry): Promise<void> {
  const { principal, ...rest } = e;
  await recordAccess(ch, { ...rest, role: principal.role, sujet: principal.sub, perimetre: principal.scope });
}
