/**
 * The alert inbox against the real Kafka and Redis (isolated namespace): DropoutAlert and
 * LearnerStatusTransition events produced with the codec, consumed by the consumer group
 * <ns>.alert-inbox in process. Idempotency, closing by a new contract (in either order of arrival),
 * superseding, retention and expiry, committed offsets.
 */
import { readDeadLetters } from '../../connectors/dlq/read';
import { createIdempotentProducer } from '../../infra/kafka/client';
import { openIdentite } from '../../schemas/identite';
import { inboxGroupId, startAlertInbox, type InboxHandle } from '../../streams/alert-inbox/consumer';
import { parseSummary } from '../../streams/alert-inbox/store';
import type { HistoryEntry } from '../../streams/alert-inbox/model';
import { dayFromIso as d } from '../../streams/status/calendar';
import { createTestPlatform, eventually, type TestPlatform } from '../support/platform';
import { LYON, makeAlert, makeTransition, PARIS, produce } from './support';

jest.setTimeout(120_000);

let platform: TestPlatform;
let inbox: InboxHandle;
const T0 = Date.parse('2025-03-15T11:00:00Z');
const DAY = 86_400_000;

beforeAll(async () => {
  platform = await createTestPlatform({ TDB_CLOCK: '2025-03-15' });
  inbox = await startAlertInbox(platform.ctx);
  await inbox.joined;
});

afterAll(async () => {
  await inbox?.stop();
  await platform?.cleanup();
});

const store = () => inbox.store;
/** The alert's line in its Mission Locale's summary hash (what filters and counts read). */
const summaryOf = async (ml: string, id: string) => {
  const line = await platform.ctx.redis.hget(platform.ctx.keys.ml.resume(ml), id);
  return line === null ? null : parseSummary(id, line);
};
const stateOf = async (id: string) => (await store().get(id))?.etat;

test('an alert is stored for its Mission Locale, contact still sealed, and journaled once even when redelivered', async () => {
  const { ctx } = platform;
  const a = makeAlert(ctx.secrets.dataKey, { contact: { nom: 'Lefebvre', prenom: 'Inès' } });
  await produce(ctx, 'alerts', [a]);
  await produce(ctx, 'alerts', [a]); // a redelivery (the processor is at-least-once)
  await eventually(
    () => Promise.resolve(inbox.totals.alertes),
    (n) => n >= 2,
  );
  expect(inbox.totals.doublons).toBeGreaterThanOrEqual(1);

  const stored = await store().get(a.alert_id);
  expect(stored).toMatchObject({ etat: 'ouverte', suivi: null, fermeture: null });
  expect(stored!.data).toMatchObject({
    mission_locale_id: PARIS.id,
    motif: 'RUPTURE',
    record_key: a.record_key,
  });
  // At rest: the hash holds the sealed blob as received, never the name in clear.
  const raw = await ctx.redis.hgetallBuffer(ctx.keys.ml.alerte(a.alert_id));
  expect(Buffer.concat(Object.values(raw)).toString('latin1')).not.toContain('Lefebvre');
  expect(openIdentite(ctx.secrets.dataKey, stored!.contact)).toMatchObject({
    nom: 'Lefebvre',
    prenom: 'Inès',
  });

  expect(await ctx.redis.zrange(ctx.keys.ml.ouvertes(PARIS.id), 0, -1)).toContain(a.alert_id);
  const journal = (await store().readAfter(PARIS.id, '0-0')).filter((e) => e.alerte === a.alert_id);
  expect(journal.map((e) => e.type)).toEqual(['alerte']);
  expect((await store().history(a.alert_id)).map((h) => h.type)).toEqual(['creation']);
});

test('a new contract closes the open alert, with the reason; an earlier contract does not', async () => {
  const { ctx } = platform;
  const a = makeAlert(ctx.secrets.dataKey, { depuisIso: '2025-02-03', created_at: T0 });
  await produce(ctx, 'alerts', [a]);
  await eventually(
    () => stateOf(a.alert_id),
    (s) => s === 'ouverte',
  );
  // The contract that preceded the rupture, announced before the alert: nothing changes.
  await produce(ctx, 'transitions', [
    makeTransition({
      record_key: a.record_key,
      from: null,
      to: 'APPRENTI',
      effective_date: d('2024-09-02'),
      detected_at: T0 - DAY,
    }),
  ]);
  // The new contract, announced later.
  const closing = makeTransition({
    record_key: a.record_key,
    to: 'APPRENTI',
    effective_date: d('2025-03-10'),
    detected_at: T0 + DAY,
  });
  await produce(ctx, 'transitions', [closing]);
  await eventually(
    () => stateOf(a.alert_id),
    (s) => s === 'fermee',
  );
  const stored = await store().get(a.alert_id);
  expect(stored!.fermeture).toEqual({
    code: 'NOUVEAU_CONTRAT',
    raison: 'nouveau contrat signé, en cours depuis le 10/03/2025',
    at: T0 + DAY,
    par: closing.event_id,
    effective_date: d('2025-03-10'),
  });
  expect(await ctx.redis.zscore(ctx.keys.ml.ouvertes(PARIS.id), a.alert_id)).toBeNull();
  expect(await ctx.redis.zscore(ctx.keys.ml.fermees(PARIS.id), a.alert_id)).not.toBeNull();
  expect(Number(await ctx.redis.zscore(ctx.keys.ml.fermetures, a.alert_id))).toBe(T0 + DAY);
  const journal = (await store().readAfter(PARIS.id, '0-0')).filter((e) => e.alerte === a.alert_id);
  expect(journal.map((e) => e.type)).toEqual(['alerte', 'fermeture']);
  expect((await store().history(a.alert_id)).map((h) => h.type)).toEqual(['creation', 'fermeture']);
  expect(await summaryOf(PARIS.id, a.alert_id)).toEqual({
    id: a.alert_id,
    motif: 'RUPTURE',
    rqth: false,
    mineur: false,
    rupture_recente: true,
    created_at: T0,
    etat: 'fermee',
    situation: 'a_contacter',
    fermeture: 'NOUVEAU_CONTRAT',
  });
});

test('a new contract whose transition arrives before the alert: the alert is born closed', async () => {
  const { ctx } = platform;
  const a = makeAlert(ctx.secrets.dataKey, { depuisIso: '2025-03-01', created_at: T0 });
  // Same processor batch (same instant), effective after the rupture: it comes after the alert.
  await produce(ctx, 'transitions', [
    makeTransition({
      record_key: a.record_key,
      to: 'APPRENTI',
      effective_date: d('2025-03-12'),
      detected_at: T0,
    }),
  ]);
  await eventually(
    () => ctx.redis.exists(ctx.keys.ml.dossierFermeture(a.record_key)),
    (n) => n === 1,
  );
  expect(await ctx.redis.ttl(ctx.keys.ml.dossierFermeture(a.record_key))).toBeGreaterThan(6 * 86_400);
  await produce(ctx, 'alerts', [a]);
  await eventually(
    () => stateOf(a.alert_id),
    (s) => s === 'fermee',
  );
  expect((await store().get(a.alert_id))!.fermeture).toMatchObject({ code: 'NOUVEAU_CONTRAT', at: T0 });
  expect(await ctx.redis.sismember(ctx.keys.ml.dossierOuvertes(a.record_key), a.alert_id)).toBe(0);
});

test('an abandon after a rupture: the new alert supersedes the old one and takes over its follow-up', async () => {
  const { ctx } = platform;
  const rupture = makeAlert(ctx.secrets.dataKey, { depuisIso: '2024-09-01', created_at: T0 - 200 * DAY });
  await produce(ctx, 'alerts', [rupture]);
  await eventually(
    () => stateOf(rupture.alert_id),
    (s) => s === 'ouverte',
  );
  expect(
    await store().suivi(
      PARIS.id,
      rupture.alert_id,
      { situation: 'sans_reponse', at: T0 - 100 * DAY, par: 'ml:conseil1', role: 'mission_locale' },
      null,
    ),
  ).toBe(true);
  // RUPTURANT → ABANDON does not close by itself…
  await produce(ctx, 'transitions', [
    makeTransition({
      record_key: rupture.record_key,
      to: 'ABANDON',
      effective_date: d('2025-02-28'),
      detected_at: T0,
    }),
  ]);
  const abandon = makeAlert(ctx.secrets.dataKey, {
    record_key: rupture.record_key,
    motif: 'ABANDON',
    depuisIso: '2025-02-28',
    created_at: T0,
  });
  await produce(ctx, 'alerts', [abandon]);
  await eventually(
    () => stateOf(abandon.alert_id),
    (s) => s === 'ouverte',
  );
  // …the new alert does.
  expect((await store().get(rupture.alert_id))!.fermeture).toMatchObject({
    code: 'REMPLACEE',
    raison: 'remplacée par une nouvelle alerte (abandon depuis le 28/02/2025)',
    par: abandon.alert_id,
  });
  const next = await store().get(abandon.alert_id);
  expect(next!.suivi).toMatchObject({ situation: 'sans_reponse', par: 'ml:conseil1' });
  expect(await summaryOf(PARIS.id, abandon.alert_id)).toMatchObject({
    motif: 'ABANDON',
    etat: 'ouverte',
    situation: 'sans_reponse',
  });
  expect(await summaryOf(PARIS.id, rupture.alert_id)).toMatchObject({
    etat: 'fermee',
    fermeture: 'REMPLACEE',
    situation: 'sans_reponse',
  });
  expect((await store().history(abandon.alert_id)).map((h: HistoryEntry) => h.type)).toEqual([
    'creation',
    'reprise',
  ]);
  expect(await ctx.redis.smembers(ctx.keys.ml.dossierOuvertes(rupture.record_key))).toEqual([
    abandon.alert_id,
  ]);
});

test('retention: closed alerts deleted after N days and never brought back; open ones expire', async () => {
  const { ctx } = platform;
  const closedLongAgo = makeAlert(ctx.secrets.dataKey, {
    mission_locale_id: LYON.id,
    created_at: T0 - 200 * DAY,
    depuisIso: '2024-08-01',
  });
  const stillOpen = makeAlert(ctx.secrets.dataKey, {
    mission_locale_id: LYON.id,
    created_at: T0 - 400 * DAY,
    depuisIso: '2024-02-01',
  });
  await produce(ctx, 'alerts', [closedLongAgo, stillOpen]);
  await produce(ctx, 'transitions', [
    makeTransition({
      record_key: closedLongAgo.record_key,
      to: 'APPRENTI',
      effective_date: d('2024-09-01'),
      detected_at: T0 - 100 * DAY,
    }),
  ]);
  await eventually(
    () => stateOf(closedLongAgo.alert_id),
    (s) => s === 'fermee',
  );
  await eventually(
    () => stateOf(stillOpen.alert_id),
    (s) => s === 'ouverte',
  );

  // 99 days after closing, with 100 days of retention: kept.
  expect(await store().purge(T0 - 1 * DAY, 100, 500)).toEqual({ expirees: 0, supprimees: 0 });
  // 101 days after: deleted (hash, history, set memberships); the open one, 400 days old, expires with a 365-day limit.
  const r = await store().purge(T0 + 1 * DAY, 100, 365);
  expect(r.supprimees).toBeGreaterThanOrEqual(1);
  expect(
    await ctx.redis.exists(
      ctx.keys.ml.alerte(closedLongAgo.alert_id),
      ctx.keys.ml.historique(closedLongAgo.alert_id),
    ),
  ).toBe(0);
  expect(await ctx.redis.zscore(ctx.keys.ml.fermees(LYON.id), closedLongAgo.alert_id)).toBeNull();
  expect(await summaryOf(LYON.id, closedLongAgo.alert_id)).toBeNull();
  expect(await summaryOf(LYON.id, stillOpen.alert_id)).toMatchObject({
    etat: 'fermee',
    fermeture: 'EXPIREE',
  });
  expect((await store().get(stillOpen.alert_id))!.fermeture).toMatchObject({ code: 'EXPIREE', at: T0 + DAY });

  // A redelivery of the deleted alert does not bring it back.
  await produce(ctx, 'alerts', [closedLongAgo]);
  const before = inbox.totals.doublons;
  await eventually(
    () => Promise.resolve(inbox.totals.doublons),
    (n) => n > before,
  );
  expect(await store().get(closedLongAgo.alert_id)).toBeNull();
});

test('a message no schema decodes (a permanent error) is dead-lettered, and the inbox goes on', async () => {
  const { ctx } = platform;
  const producer = createIdempotentProducer(ctx.kafka);
  await producer.connect();
  const garbage = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 0xff, 0xff]); // wire format, a schema id nobody registered
  const id = (await ctx.codec()).ids[ctx.topics.alerts]!;
  const truncated = Buffer.concat([
    Buffer.from([0, id >> 24, (id >> 16) & 255, (id >> 8) & 255, id & 255]),
    Buffer.from([6]),
  ]);
  try {
    await producer.send({
      topic: ctx.topics.alerts,
      acks: -1,
      messages: [
        { key: 'poison-1', value: garbage },
        { key: 'poison-2', value: truncated }, // the alerts schema, bytes cut short
      ],
    });
  } finally {
    await producer.disconnect();
  }
  const after = makeAlert(ctx.secrets.dataKey, { mission_locale_id: LYON.id });
  await produce(ctx, 'alerts', [after]);
  await eventually(
    () => store().get(after.alert_id),
    (a) => a !== null,
  );
  expect(inbox.totals.rejetes).toBe(2);
  const dead = await eventually(
    async () =>
      (await readDeadLetters(ctx, { dechiffrer: true })).entries.sort((x, y) =>
        String(x.key).localeCompare(String(y.key)),
      ),
    (e) => e.length >= 2,
  );
  expect(dead.map((e) => [e.key, e.record.connector, e.record.errors[0]!.code])).toEqual([
    ['poison-1', 'alert-inbox', 'MESSAGE_ILLISIBLE'],
    ['poison-2', 'alert-inbox', 'MESSAGE_ILLISIBLE'],
  ]);
  expect(dead[0]!.record.location).toMatch(new RegExp(`^${ctx.topics.alerts}\\[\\d+\\]@\\d+$`));
  expect(dead[0]!.record.errors[0]!.message).toMatch(/écarté : unknown schema id 2147483632$/);
  expect(dead[0]!.input).toMatchObject({ topic: ctx.topics.alerts, value: garbage.toString('base64') });
});

test('offsets are committed once the store is updated', async () => {
  const { ctx } = platform;
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    const ends = async (topic: string) =>
      (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0);
    const committed = async (topic: string) => {
      const [res] = await admin.fetchOffsets({
        groupId: inboxGroupId(ctx.config.TDB_NAMESPACE),
        topics: [topic],
      });
      return res!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
    };
    for (const topic of [ctx.topics.alerts, ctx.topics.transitions]) {
      const end = await ends(topic);
      expect(end).toBeGreaterThan(0);
      await eventually(
        () => committed(topic),
        (n) => n === end,
      );
    }
  } finally {
    await admin.disconnect();
  }
});
