/**
 * The access matrix (issue 6 §4): every route × every role × its own scope and another scope,
 * allowed (200) or refused (401 without a valid token where one is needed, 403 for a wrong role or
 * scope); names only in the nominative lists, only for entitled roles; every nominative read in
 * the access log; the reusable guard `app.authorize` with a scope check (for issue 7's routes).
 */
import Fastify from 'fastify';
import { signToken, type Role } from '../../api/auth/tokens';
import { authPlugin } from '../../api/auth/plugin';
import { useApiErrors } from '../../api/errors';
import { dayFromIso } from '../../streams/status';
import type { Organisme } from '../../streams/referentiels/organismes';
import { apiFixture, bearer, httpGet, TODAY, type Answer, type ApiFixture } from './support/app';
import { counted, expectedCounts } from './support/dataset';

let fx: ApiFixture;
let A: Organisme; // département 69, région 84, académie 10
let B: Organisme; // département 13, région 93, académie 02

interface Caller {
  name: string;
  role: Role | 'jeton invalide';
  headers: Record<string, string>;
  /** The query filter of the caller's own scope, and of another scope. */
  own: string;
  other: string;
}
let callers: Caller[];

beforeAll(async () => {
  fx = await apiFixture(1500, { seed: 5 });
  [A, B] = fx.ds.focus as [Organisme, Organisme];
  const t = (role: Exclude<Role, 'public'>, scope: string[]) => bearer(fx.token({ role, scope }));
  const terr = (o: Organisme) => fx.platform.ctx.territoires.ofDepartement(o.departement)!;
  callers = [
    {
      name: 'public',
      role: 'public',
      headers: {},
      own: `departement=${A.departement}`,
      other: `departement=${B.departement}`,
    },
    { name: 'cfa', role: 'cfa', headers: t('cfa', [A.uai]), own: `uai=${A.uai}`, other: `uai=${B.uai}` },
    {
      name: 'mission_locale',
      role: 'mission_locale',
      headers: t('mission_locale', ['ML-69-1']),
      own: `departement=${A.departement}`,
      other: `departement=${B.departement}`,
    },
    {
      name: 'dreets',
      role: 'dreets',
      headers: t('dreets', [terr(A).region]),
      own: `region=${terr(A).region}`,
      other: `region=${terr(B).region}`,
    },
    {
      name: 'ddets',
      role: 'ddets',
      headers: t('ddets', [A.departement]),
      own: `departement=${A.departement}`,
      other: `departement=${B.departement}`,
    },
    {
      name: 'academie',
      role: 'academie',
      headers: t('academie', [terr(A).academie]),
      own: `academie=${terr(A).academie}`,
      other: `academie=${terr(B).academie}`,
    },
    {
      name: 'admin',
      role: 'admin',
      headers: t('admin', []),
      own: `departement=${A.departement}`,
      other: `departement=${B.departement}`,
    },
  ];
  const ctx = fx.platform.ctx;
  const invalid = (name: string, headers: Record<string, string>): Caller => ({
    name,
    role: 'jeton invalide',
    headers,
    own: callers[1]!.own,
    other: callers[1]!.other,
  });
  callers.push(
    invalid('clé API ERP', { authorization: 'Bearer erp_4f1c2a9b7d3e48e0a1b2c3d4e5f60718' }),
    invalid(
      'jeton expiré',
      bearer(
        signToken(
          ctx.secrets.tokenSecret,
          { role: 'admin', scope: [], sub: 'x', ttlSeconds: 60 },
          ctx.territoires,
          ctx.clock.now() - 3600_000,
        ),
      ),
    ),
    invalid(
      'autre secret',
      bearer(
        signToken(
          'another-secret-of-at-least-32-characters!',
          { role: 'admin', scope: [], sub: 'x' },
          ctx.territoires,
          ctx.clock.now(),
        ),
      ),
    ),
    invalid('schéma Basic', { authorization: 'Basic YWRtaW46YWRtaW4=' }),
  );
  await ctx.clickhouse.insert('transmissions', [
    {
      batch_id: 'lot-a-1',
      received_at: '2025-03-10 08:00:00',
      organisme_uai: A.uai,
      organisme_siret: A.siret,
      connector: 'api',
      erp: 'ypareo',
      recus: 120,
      acceptes: 115,
      rejetes: 5,
      inchanges: 100,
      crees: 10,
      modifies: 5,
      non_transmis: 0,
    },
    {
      batch_id: 'lot-a-2',
      received_at: '2025-03-12 08:00:00',
      organisme_uai: A.uai,
      organisme_siret: A.siret,
      connector: 'api',
      erp: 'ypareo',
      recus: 118,
      acceptes: 118,
      rejetes: 0,
      inchanges: 117,
      crees: 1,
      modifies: 0,
      non_transmis: 2,
    },
    {
      batch_id: 'lot-b-1',
      received_at: '2025-01-02 08:00:00',
      organisme_uai: B.uai,
      organisme_siret: B.siret,
      connector: 'fichier',
      erp: 'gesti',
      recus: 40,
      acceptes: 38,
      rejetes: 2,
      inchanges: 0,
      crees: 38,
      modifies: 0,
      non_transmis: 0,
    },
  ]);
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

type Target = 'own' | 'other';
interface RouteCase {
  name: string;
  url(c: Caller, target: Target): string;
  expected(c: Caller, target: Target): number;
  nominative?: boolean;
}

const filterOf = (c: Caller, target: Target) => (target === 'own' ? c.own : c.other);
const SCOPED: Role[] = ['cfa', 'dreets', 'ddets', 'academie'];

/** Aggregates: public and admin everywhere; scoped roles in their scope; mission_locale never. */
const aggregate = (c: Caller, target: Target) =>
  c.role === 'jeton invalide'
    ? 401
    : c.role === 'mission_locale'
      ? 403
      : SCOPED.includes(c.role as Role) && target === 'other'
        ? 403
        : 200;
/** Lists and transmissions: no public access; scoped roles in their scope; admin everywhere. */
const restricted = (c: Caller, target: Target) =>
  c.role === 'jeton invalide' || c.role === 'public'
    ? 401
    : c.role === 'mission_locale'
      ? 403
      : SCOPED.includes(c.role as Role) && target === 'other'
        ? 403
        : 200;

const ROUTES: RouteCase[] = [
  { name: 'GET /indicateurs', url: (c, t) => `/api/v1/indicateurs?${filterOf(c, t)}`, expected: aggregate },
  {
    name: 'GET /indicateurs/par/departement',
    url: (c, t) => `/api/v1/indicateurs/par/departement?${filterOf(c, t)}`,
    expected: aggregate,
  },
  {
    name: 'GET /indicateurs/par/organisme',
    url: (c, t) => `/api/v1/indicateurs/par/organisme?${filterOf(c, t)}`,
    expected: aggregate,
  },
  {
    name: 'GET /indicateurs/series',
    url: (c, t) => `/api/v1/indicateurs/series?from=2024-09-01&to=2025-03-01&pas=mois&${filterOf(c, t)}`,
    expected: aggregate,
  },
  {
    name: 'GET /indicateurs/national',
    url: () => '/api/v1/indicateurs/national',
    expected: (c) => (c.role === 'jeton invalide' ? 401 : 200),
  },
  {
    name: 'GET /apprenants',
    url: (c, t) => `/api/v1/apprenants?${filterOf(c, t)}`,
    expected: restricted,
    nominative: true,
  },
  {
    name: 'GET /organismes/{uai}/transmission',
    url: (_c, t) => `/api/v1/organismes/${t === 'own' ? A.uai : B.uai}/transmission`,
    expected: restricted,
  },
];

describe('access matrix: every route × every role × own and other scope', () => {
  const answers: { route: RouteCase; caller: Caller; target: Target; answer: Answer }[] = [];

  beforeAll(async () => {
    for (const route of ROUTES) {
      for (const caller of callers) {
        for (const target of ['own', 'other'] as Target[]) {
          answers.push({
            route,
            caller,
            target,
            answer: await fx.get(route.url(caller, target), caller.headers),
          });
        }
      }
    }
  }, 120_000);

  it('answers 200, 401 or 403 exactly as the rules say', () => {
    const got = answers.map(
      (a) => `${a.route.name} | ${a.caller.name} | ${a.target} → ${a.answer.statusCode}`,
    );
    const want = answers.map(
      (a) => `${a.route.name} | ${a.caller.name} | ${a.target} → ${a.route.expected(a.caller, a.target)}`,
    );
    expect(got).toEqual(want);
    expect(answers.length).toBe(ROUTES.length * callers.length * 2);
  });

  it('refusals say why: 401 with WWW-Authenticate: Bearer, 403 naming the field when a filter is out of scope', () => {
    for (const { answer, caller, target, route } of answers) {
      if (answer.statusCode === 401) {
        expect(answer.headers.get('www-authenticate')).toBe('Bearer');
        expect(answer.json().code).toMatch(/^(AUTHENTIFICATION_REQUISE|JETON_INVALIDE|JETON_EXPIRE)$/);
      }
      if (
        answer.statusCode === 403 &&
        SCOPED.includes(caller.role as Role) &&
        target === 'other' &&
        !route.name.includes('transmission')
      ) {
        expect(answer.json()).toMatchObject({ code: 'HORS_PERIMETRE', champ: caller.other.split('=')[0] });
      }
    }
    const expired = answers.find((a) => a.caller.name === 'jeton expiré')!;
    expect(expired.answer.json().code).toBe('JETON_EXPIRE');
  });

  it('names appear only in nominative lists answered 200; never in aggregates or refusals', () => {
    for (const { answer, route } of answers) {
      const body = answer.body;
      if (route.nominative && answer.statusCode === 200) {
        const list = answer.json().apprenants as {
          nom: string | null;
          prenom: string | null;
          date_de_naissance: string | null;
        }[];
        for (const a of list) {
          expect(a.nom).toEqual(expect.any(String));
          expect(a.prenom).toEqual(expect.any(String));
          expect(a.date_de_naissance).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        }
      } else {
        expect(body).not.toMatch(/"(nom|prenom|date_de_naissance|email|telephone)"/);
      }
    }
  });

  it('own-scope lists are not empty and hold only the scope: CFA its organisation, territorial roles inscrits/rupturants/abandons', () => {
    for (const { answer, route, caller, target } of answers) {
      if (!route.nominative || answer.statusCode !== 200 || target !== 'own') continue;
      const list = answer.json().apprenants as {
        organisme_uai: string;
        departement: string;
        statut: string;
      }[];
      expect(list.length).toBeGreaterThan(0);
      if (caller.role === 'cfa') for (const a of list) expect(a.organisme_uai).toBe(A.uai);
      if (['dreets', 'ddets', 'academie'].includes(caller.role)) {
        const terr = (dep: string) => fx.platform.ctx.territoires.ofDepartement(dep)!;
        const zone = (dep: string) =>
          caller.role === 'dreets' ? terr(dep).region : caller.role === 'academie' ? terr(dep).academie : dep;
        for (const a of list) {
          expect(['INSCRIT', 'RUPTURANT', 'ABANDON']).toContain(a.statut);
          expect(zone(a.departement)).toBe(zone(A.departement));
        }
      }
    }
  });

  it('every nominative read answered 200 is in the access log, with who, what and how many rows', async () => {
    const served = answers.filter((a) => a.route.nominative && a.answer.statusCode === 200);
    const rows = await fx.platform.ctx.clickhouse.query<{
      role: string;
      sujet: string;
      route: string;
      lignes: number;
      date_reference: string;
      parametres: string;
    }>(
      `SELECT role, sujet, route, lignes, toString(date_reference) AS date_reference, parametres FROM ${fx.platform.ctx.clickhouse.database}.acces_nominatifs ORDER BY at, request_id`,
    );
    expect(rows).toHaveLength(served.length);
    const byRole = (list: { role: string; lignes: number }[]) =>
      list.reduce<Record<string, number>>(
        (m, r) => ((m[r.role] = (m[r.role] ?? 0) + Number(r.lignes)), m),
        {},
      );
    expect(byRole(rows)).toEqual(
      byRole(
        served.map((a) => ({
          role: a.caller.role,
          lignes: (a.answer.json().apprenants as unknown[]).length,
        })),
      ),
    );
    for (const r of rows) {
      expect(r.route).toBe('/api/v1/apprenants');
      expect(r.sujet).toBe(`test-${r.role}`);
      expect(r.date_reference).toBe(TODAY);
      expect(JSON.parse(r.parametres)).toMatchObject({ date: TODAY });
    }
  });

  it('scoped roles without filters read their own scope only (the scope is applied implicitly)', async () => {
    const cfa = callers.find((c) => c.role === 'cfa')!;
    const body = (await fx.get('/api/v1/indicateurs', cfa.headers)).json();
    const expected = expectedCounts(fx.ds, dayFromIso(TODAY), (l) => l.dims.organisme_uai === A.uai);
    expect(body).toMatchObject(expected);
    expect(expected.apprenants).toBeGreaterThan(20);
    const ddets = callers.find((c) => c.role === 'ddets')!;
    const par = (await fx.get('/api/v1/indicateurs/par/departement', ddets.headers)).json();
    expect(par.lignes.map((l: { code: string }) => l.code)).toEqual([A.departement]);
  });

  it('the CFA list holds every counted learner of its organisation with the status of the engine', async () => {
    const cfa = callers.find((c) => c.role === 'cfa')!;
    const body = (await fx.get('/api/v1/apprenants?par_page=5000', cfa.headers)).json();
    const expected = expectedCounts(fx.ds, dayFromIso(TODAY), (l) => l.dims.organisme_uai === A.uai);
    expect(body.total).toBe(expected.apprenants + expected.abandons);
    expect(body.apprenants).toHaveLength(body.total);
    const byKey = new Map(fx.ds.learners.filter(counted).map((e) => [e.learner.recordKey, e.learner]));
    for (const a of body.apprenants as { record_key: string; nom: string; prenom: string }[]) {
      const l = byKey.get(a.record_key)!;
      expect(l).toBeDefined();
      expect([a.nom, a.prenom]).toEqual([l.identite.nom, l.identite.prenom]);
    }
  });

  it('territorial roles may not list apprentis (403 naming statut); paging works', async () => {
    const dreets = callers.find((c) => c.role === 'dreets')!;
    const r = await fx.get('/api/v1/apprenants?statut=apprentis', dreets.headers);
    expect(r.statusCode).toBe(403);
    expect(r.json().champ).toBe('statut');
    const p1 = (await fx.get('/api/v1/apprenants?statut=abandons&par_page=2&page=1', dreets.headers)).json();
    const p2 = (await fx.get('/api/v1/apprenants?statut=abandons&par_page=2&page=2', dreets.headers)).json();
    expect(p1.total).toBeGreaterThan(3);
    expect(p1.apprenants).toHaveLength(2);
    expect(p2.apprenants[0].record_key).not.toBe(p1.apprenants[0].record_key);
    for (const a of [...p1.apprenants, ...p2.apprenants]) expect(a.statut).toBe('ABANDON');
  });

  it('the transmission report of an organisation: last batch, totals, days without transmission', async () => {
    const admin = callers.find((c) => c.role === 'admin')!;
    const body = (await fx.get(`/api/v1/organismes/${A.uai}/transmission?jours=10`, admin.headers)).json();
    expect(body.derniere_transmission).toMatchObject({
      batch_id: 'lot-a-2',
      erp: 'ypareo',
      recus: 118,
      rejetes: 0,
      non_transmis: 2,
    });
    expect(body.totaux).toEqual({
      lots: 2,
      recus: 238,
      acceptes: 233,
      rejetes: 5,
      inchanges: 217,
      crees: 11,
      modifies: 5,
      non_transmis: 2,
    });
    expect(body.jours_sans_transmission).toBe(3);
    expect(body.par_jour.map((d: { jour: string }) => d.jour)).toEqual(['2025-03-10', '2025-03-12']);
    const b = (await fx.get(`/api/v1/organismes/${B.uai}/transmission`, admin.headers)).json();
    expect(b.jours_sans_transmission).toBe(dayFromIso(TODAY) - dayFromIso('2025-01-02'));
    expect(b.par_jour).toEqual([]);
  });
});

describe('app.authorize: the reusable guard (Mission Locale routes of issue 7)', () => {
  it('checks role and scope on a route that uses it, and leaves other routes alone', async () => {
    const app = Fastify({ logger: false });
    app.decorate('ctx', fx.platform.ctx);
    await app.register(authPlugin);
    await app.register(async (scoped) => {
      useApiErrors(scoped);
      scoped.get(
        '/missions-locales/:id/alertes',
        {
          onRequest: scoped.authorize({
            roles: ['mission_locale', 'admin'],
            scope: (req, p) => p.role === 'admin' || p.scope.includes((req.params as { id: string }).id),
          }),
        },
        async (req) => ({ id: (req.params as { id: string }).id, role: req.principal.role }),
      );
    });
    app.post('/ingestion', async (req) => ({ auth: req.headers.authorization ?? null })); // an ERP route with its own API keys
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const ml = bearer(fx.token({ role: 'mission_locale', scope: ['ML-1'] }));
      expect((await httpGet(base, '/missions-locales/ML-1/alertes', ml)).json()).toEqual({
        id: 'ML-1',
        role: 'mission_locale',
      });
      expect((await httpGet(base, '/missions-locales/ML-2/alertes', ml)).statusCode).toBe(403);
      expect((await httpGet(base, '/missions-locales/ML-1/alertes')).statusCode).toBe(401);
      expect(
        (
          await httpGet(
            base,
            '/missions-locales/ML-1/alertes',
            bearer(fx.token({ role: 'cfa', scope: [A.uai] })),
          )
        ).statusCode,
      ).toBe(403);
      expect(
        (
          await httpGet(
            base,
            '/missions-locales/ML-9/alertes',
            bearer(fx.token({ role: 'admin', scope: [] })),
          )
        ).statusCode,
      ).toBe(200);
      const erp = await fetch(`${base}/ingestion`, {
        method: 'POST',
        headers: { authorization: 'Bearer erp_key_1' },
      });
      expect(erp.status).toBe(200); // the guard is not global: an ERP API key is not refused elsewhere
    } finally {
      await app.close();
    }
  });
});
