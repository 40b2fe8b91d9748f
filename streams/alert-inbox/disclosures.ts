/**
 * Disclosures of alerts outside the API (webhook deliveries), written to the same access log as the
 * API's nominative reads (ClickHouse `acces_nominatifs`, migration 0200; the API writes it through
 * api/apprenants/access-log.ts): who received what, when. No personal data in the row.
 */
import { recordAccess } from '../../infra/audit/access-log';
import type { ClickHouse } from '../../infra/clickhouse/client';

export interface Disclosure {
  /** Epoch ms (platform clock). */
  at: number;
  /** e.g. the journal event id. */
  requestId: string;
  missionLocale: string;
  /** Who received it, e.g. "webhook:crm.ml-paris.fr". */
  sujet: string;
  route: string;
  parametres: Record<string, unknown>;
  /** YYYY-MM-DD. */
  dateReference: string;
  lignes: number;
}

export async function logDisclosure(ch: ClickHouse, d: Disclosure): Promise<void> {
  const { missionLocale, ...rest } = d;
  await recordAccess(ch, { ...rest, role: 'mission_locale', perimetre: [missionLocale] });
}
