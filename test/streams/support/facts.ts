/** Test helpers: expected counts from the images (status engine), counts read back from ClickHouse, catching up. */
import type { ClickHouse } from '../../../infra/clickhouse/client';
import type { Context } from '../../../infra/context';
import type { DossierApprenantChange } from '../../../schemas/generated/DossierApprenantChange';
import { dimensionsOf } from '../../../streams/facts/dimensions';
import { datesOf } from '../../../streams/processor/learner';
import { isoFromDay } from '../../../streams/status/calendar';
import { computeParcours, statusAt } from '../../../streams/status/engine';
import { InvalidDossierError } from '../../../streams/status/types';
import { eventually } from '../../support/platform';

/** "statut|departement|YYYY-MM-DD" → count. */
export type Counts = Map<string, number>;

/**
 * Counts per status × département at each date, computed directly from the last valid image of
 * each record (versions applied in order, deletions honoured, NOT_TRANSMITTED ignored): the oracle.
 */
export function expectedCounts(
  events: Iterable<DossierApprenantChange>,
  refs: Parameters<typeof dimensionsOf>[1],
  dates: number[],
): Counts {
  const last = new Map<string, { v: number; image: DossierApprenantChange['after'] }>();
  for (const e of events) {
    const cur = last.get(e.record_key);
    if (cur && e.version <= cur.v) continue;
    if (e.operation === 'DELETE') last.set(e.record_key, { v: e.version, image: null });
    else if (e.operation === 'NOT_TRANSMITTED')
      last.set(e.record_key, { v: e.version, image: cur ? cur.image : null });
    else {
      try {
        if (e.after) computeParcours(datesOf(e.after));
        last.set(e.record_key, { v: e.version, image: e.after });
      } catch (err) {
        if (!(err instanceof InvalidDossierError)) throw err;
        last.set(e.record_key, { v: e.version, image: cur ? cur.image : null });
      }
    }
  }
  const counts: Counts = new Map();
  for (const { image } of last.values()) {
    if (!image) continue;
    const parcours = computeParcours(datesOf(image)).parcours;
    const dep = dimensionsOf(image, refs).departement;
    for (const d of dates) {
      // Counted only while the training period covers d (status-rules.md, "Counting").
      if (d < image.date_entree_formation || d > image.date_fin_formation) continue;
      const k = `${statusAt(parcours, d)}|${dep}|${isoFromDay(d)}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  return counts;
}

/** Counts per status × département at each date from the signed deltas (the read model). */
export async function deltaCounts(ch: ClickHouse, dates: number[]): Promise<Counts> {
  const counts: Counts = new Map();
  for (const d of dates) {
    const iso = isoFromDay(d);
    const rows = await ch.query<{ statut: string; departement: string; n: string }>(
      `SELECT statut, departement, sum(delta) AS n FROM ${ch.database}.effectifs_deltas WHERE jour <= toDate('${iso}') GROUP BY statut, departement HAVING n != 0`,
    );
    for (const r of rows) counts.set(`${r.statut}|${r.departement}|${iso}`, Number(r.n));
  }
  return counts;
}

export const sortedEntries = (c: Counts) => [...c.entries()].sort(([a], [b]) => (a < b ? -1 : 1));

/** A digest of the intervals table (FINAL): count and an order-independent hash of the live rows. */
export async function intervalsDigest(ch: ClickHouse): Promise<{ rows: number; hash: string }> {
  const [r] = await ch.query<{ rows: string; hash: string }>(
    `SELECT count() AS rows, toString(sum(cityHash64(record_key, idx, toString(statut), debut, fin, departement, organisme_uai))) AS hash
     FROM ${ch.database}.statut_intervalles FINAL WHERE deleted = 0`,
  );
  return { rows: Number(r?.rows ?? 0), hash: r?.hash ?? '' };
}

/** Waits until the consumer group has committed every offset of `topic` (all partitions at their end). */
export async function waitCaughtUp(
  ctx: Context,
  groupId: string,
  topic: string,
  timeoutMs = 120_000,
): Promise<void> {
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high]));
    await eventually(
      async () => {
        const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return (t?.partitions ?? []).filter(
          (p) => BigInt(p.offset === '-1' ? '0' : p.offset) < BigInt(ends.get(p.partition) ?? '0'),
        ).length;
      },
      (behind) => behind === 0,
      timeoutMs,
      200,
    );
  } finally {
    await admin.disconnect();
  }
}
