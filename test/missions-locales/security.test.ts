/**
 * The review's findings on the Mission Locale routes (issue 11), on a listening server over the
 * real Redis and ClickHouse, alerts put in the store as the inbox does: SSE `Last-Event-ID` checked
 * against the journal (7), `Cache-Control: no-store` on every answer (9), authorisation before
 * validation on another Mission Locale's alert (11), a body that is not UTF-8 (6), and a name with
 * a zero-width character before a formula in the CSV export (12).
 */
import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { createAlertStore, type AlertStore } from '../../streams/alert-inbox/store';
import type { DropoutAlert } from '../../schemas/generated/DropoutAlert';
import { createTestPlatform, eventually, ORGANISMES_CSV, type TestPlatform } from '../support/platform';
import { bearer, http, LYON, makeAlert, openSse, PARIS, token, type SseClient } from './support';

jest.setTimeout(120_000);

let platform: TestPlatform;
let app: FastifyInstance;
let base: string;
let store: AlertStore;
let H: Record<'paris' | 'lyon', Record<string, string>>;
let formule: DropoutAlert;
const clients: SseClient[] = [];
const ml = (p: string, mlId = PARIS.id) => `/api/v1/missions-locales/${mlId}${p}`;

beforeAll(async () => {
  platform = await createTestPlatform({
    TDB_CLOCK: '2025-03-15',
    TDB_ORGANISMES_CSV: ORGANISMES_CSV,
    TDB_ALERTES_SSE_HEARTBEAT_MS: '300',
  });
  const { ctx } = platform;
  store = createAlertStore(ctx.redis, ctx.keys.ml);
  // An alert stored before names were cleaned at ingestion: the export must still be safe.
  formule = makeAlert(ctx.secrets.dataKey, { contact: { nom: '\u200b=1+1', prenom: 'Zo\u202eé' } });
  expect(await store.ingest(formule)).toBe('nouvelle');
  app = await buildApp(ctx, { logger: false });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  H = {
    paris: bearer(token(ctx, { role: 'mission_locale', scope: [PARIS.id], sub: 'ml-paris:conseillere' })),
    lyon: bearer(token(ctx, { role: 'mission_locale', scope: [LYON.id], sub: 'ml-lyon:conseiller' })),
  };
});

afterAll(async () => {
  for (const c of clients) c.close();
  await app?.close();
  await platform?.cleanup();
});

const sse = (q: string, headers: Record<string, string> = H.paris) => {
  const c = openSse(`${base}${ml('/alertes/flux')}${q}`, headers);
  clients.push(c);
  return c;
};

describe('finding 7: SSE Last-Event-ID is checked against the journal', () => {
  test('a part beyond 64 bits: 400 naming last_event_id, before any stream opens (header or query)', async () => {
    for (const headers of [{ ...H.paris, 'last-event-id': '99999999999999999999-0' }, H.paris]) {
      const q = 'last-event-id' in headers ? '' : '?last_event_id=18446744073709551616-0';
      const r = await http(base, `${ml('/alertes/flux')}${q}`, { headers });
      expect(r.status).toBe(400);
      expect(r.json()).toMatchObject({ code: 'PARAMETRE_INVALIDE', champ: 'last_event_id' });
      expect(r.json().message).toMatch(
        /identifiant d’événement hors limites : chaque partie est au plus 18446744073709551615/,
      );
    }
  });

  test("18446744073709551615-0 (after the journal's end): resumes from the end with a visible event, then delivers", async () => {
    const last = await store.lastEventId(PARIS.id);
    const c = sse('', { ...H.paris, 'last-event-id': '18446744073709551615-0' });
    expect(await c.status).toBe(200);
    await eventually(
      async () => c.events.length,
      (n) => n >= 1,
      5_000,
      20,
    );
    expect(c.events[0]).toEqual({
      event: 'reinitialisation',
      data: {
        raison:
          'identifiant postérieur au dernier événement du journal : reprise à la fin du journal ; recharger la liste des alertes',
        last_event_id: '18446744073709551615-0',
        reprise_apres: last,
      },
    });
    // The stream is alive: the next alert arrives on it (it never did before).
    const next = makeAlert(platform.ctx.secrets.dataKey);
    await store.ingest(next);
    await eventually(
      async () => c.events.length,
      (n) => n >= 2,
      5_000,
      20,
    );
    expect(c.events[1]).toMatchObject({ event: 'alerte', data: { alerte_id: next.alert_id } });
    expect(c.events).toHaveLength(2);
  });

  test('the maximum id 18446744073709551615-18446744073709551615 is resumed the same way, not closed, and delivers', async () => {
    const c = sse('?last_event_id=18446744073709551615-18446744073709551615');
    expect(await c.status).toBe(200);
    await eventually(
      async () => c.events.length,
      (n) => n >= 1,
      5_000,
      20,
    );
    expect(c.events[0]!.event).toBe('reinitialisation');
    await eventually(
      async () => c.comments(),
      (n) => n >= 3,
      5_000,
      50,
    ); // heartbeats: still open
    const next = makeAlert(platform.ctx.secrets.dataKey);
    await store.ingest(next);
    await eventually(
      async () => c.events.length,
      (n) => n >= 2,
      5_000,
      20,
    );
    expect(c.events[1]).toMatchObject({ event: 'alerte', data: { alerte_id: next.alert_id } });
  });

  test('an id inside the journal still resumes exactly after it, without reinitialisation', async () => {
    const first = (await store.readAfter(PARIS.id, '0-0', 1))[0]!.id;
    const c = sse(`?last_event_id=${first}`);
    await eventually(
      async () => c.events.length,
      (n) => n >= 1,
      5_000,
      20,
    );
    expect(c.events.map((e) => e.event)).not.toContain('reinitialisation');
    expect(c.events[0]!.event).toBe('alerte');
  });
});

describe('finding 9: every Mission Locale answer carries Cache-Control: no-store', () => {
  test.each([
    ['list', '/alertes'],
    ['list CSV', '/alertes?format=csv'],
    ['list XLSX', '/alertes?format=xlsx'],
    ['one alert', `/alertes/ALERT`],
    ['synthesis', '/synthese'],
    ['webhook deliveries', '/webhook/livraisons'],
  ])('%s', async (_name, p) => {
    const r = await http(base, ml(p.replace('ALERT', formule.alert_id)), { headers: H.paris });
    expect([r.status, r.headers.get('cache-control')]).toEqual([200, 'no-store']);
  });

  test('follow-up (PATCH), an error, and the SSE stream', async () => {
    const patch = await http(base, ml(`/alertes/${formule.alert_id}`), {
      method: 'PATCH',
      json: { situation: 'contacte' },
      headers: H.paris,
    });
    expect([patch.status, patch.headers.get('cache-control')]).toEqual([200, 'no-store']);
    const missing = await http(base, ml(`/alertes/${'0'.repeat(32)}`), { headers: H.paris });
    expect([missing.status, missing.headers.get('cache-control')]).toEqual([404, 'no-store']);
    const c = sse('');
    expect((await c.headers).get('cache-control')).toBe('no-store, no-transform');
  });
});

describe("finding 11: another Mission Locale's alert is a 403 whatever the body", () => {
  test.each([
    ['a body failing the schema', { situation: 'inexistante', champ_inconnu: 1 }],
    ['no body', undefined],
  ])('%s: 403 for Lyon, 400 for Paris', async (_name, json) => {
    const path = ml(`/alertes/${formule.alert_id}`);
    const lyon = await http(base, path, { method: 'PATCH', json, headers: H.lyon });
    expect([lyon.status, lyon.json().code]).toEqual([403, 'HORS_PERIMETRE']);
    const paris = await http(base, path, { method: 'PATCH', json, headers: H.paris });
    expect(paris.status).toBe(400);
  });

  test('a malformed JSON body or query of another Mission Locale: 403 as well', async () => {
    const r = await fetch(`${base}${ml(`/alertes/${formule.alert_id}`)}`, {
      method: 'PATCH',
      headers: { ...H.lyon, 'content-type': 'application/json' },
      body: '{"situation":',
    });
    expect(r.status).toBe(403);
    const q = await http(base, ml('/alertes?page=0&par_page=-1&inconnu=1'), { headers: H.lyon });
    expect(q.status).toBe(403);
  });
});

describe('finding 6: a body that is not UTF-8', () => {
  test('a Latin-1 comment: 400 ENCODAGE_INVALIDE, nothing stored', async () => {
    const body = Buffer.from(JSON.stringify({ situation: 'autre', commentaire: 'Zoé rappellera' }), 'latin1');
    const r = await fetch(`${base}${ml(`/alertes/${formule.alert_id}`)}`, {
      method: 'PATCH',
      headers: { ...H.paris, 'content-type': 'application/json' },
      body,
    });
    expect(r.status).toBe(400);
    const json = (await r.json()) as Record<string, string>;
    expect(json).toMatchObject({ code: 'ENCODAGE_INVALIDE', champ: 'corps' });
    expect(json.message).toMatch(
      /^le corps n'est pas encodé en UTF-8 \(octet 0xE9 invalide à la position \d+\)/,
    );
    const history = await store.history(formule.alert_id);
    expect(history.filter((h) => h.type === 'suivi' && h.situation === 'autre')).toEqual([]);
  });
});

describe('finding 12: the export of a name "\\u200b=1+1"', () => {
  test('CSV: the invisible character is removed and the formula guard applies', async () => {
    const r = await http(base, ml('/alertes?format=csv'), { headers: H.paris });
    const rows = parse(r.text.replace(/^\ufeff/, ''), { delimiter: ';', columns: true }) as Record<
      string,
      string
    >[];
    const row = rows.find((x) => x.alerte_id === formule.alert_id)!;
    expect([row.nom, row.prenom]).toEqual(["'=1+1", 'Zoé']);
  });
});
