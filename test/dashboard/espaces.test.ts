/**
 * The signed-in pages in a real browser, on the real chain (ERP push → pipeline → `tdb processor
 * run` → `tdb alertes run` → Redis journal → SSE; ClickHouse facts; the dead-letter topic):
 *
 * - Mission Locale: an alert appears on the open page within seconds of the transition, without a
 *   reload; a follow-up saved in the form shows in its history; another Mission Locale's token sees
 *   none of it; an expired token is explained in words (the API's 401 message);
 * - CFA: its own rejected item with the field named, the reason and how to fix it; its batches,
 *   indicators (the API's) and nominative list;
 * - operator: an organisation that stopped transmitting (since when) and one that transmits, with
 *   the counts per département equal to the API's;
 * - axe-core: no serious or critical violation on each page, desktop and 375 px; screenshots in
 *   test-artefacts/dashboard/.
 */
import type { Browser, Page } from 'playwright-core';
import { signToken } from '../../api/auth/tokens';
import { generateDossiers } from '../../connectors/simulation/dossiers';
import { dayFromIso } from '../../streams/status';
import { focusOrganismes } from '../api/support/dataset';
import { attach, ruptureLearner } from './dataset';
import {
  accessibilityProblems,
  DESKTOP,
  launchBrowser,
  newPage,
  numberOf,
  PHONE,
  pushAs,
  screenshot,
  startDashboardPlatform,
  waitForBatches,
  waitForDossiers,
  type DashboardPlatform,
} from './support';

jest.setTimeout(240_000);

const TODAY = '2025-03-15';
const STOPPED_ON = '2025-02-20';
/** A real organisation of the referential (Ain, 01), the CFA of these tests. */
const ORG = { uai: '0010070W', siret: '43937112100013' };
const PARIS = 'ML-75-PARIS';
const LYON = 'ML-69-LYON';

let dp: DashboardPlatform;
let browser: Browser;
/** The organisation (Rhône, 69) whose last batch is on STOPPED_ON. */
let stopped: { uai: string; siret: string };

beforeAll(async () => {
  dp = await startDashboardPlatform({ today: STOPPED_ON, alertes: true });
  const gen = (count: number, seed: number) => [
    ...generateDossiers({
      count,
      organismes: dp.ctx.organismes,
      territoires: dp.ctx.territoires,
      today: dayFromIso(TODAY),
      seed,
      messyShare: 0,
    }),
  ];
  // One organisation transmits on 20 February, then never again.
  stopped = focusOrganismes(dp.ctx.organismes, ['69'])[0]!;
  await pushAs(dp, stopped, attach(gen(30, 3), stopped, 'STOP'));
  await waitForBatches(dp, 1);
  dp.setClock(TODAY);
  // The CFA transmits today: 80 learners, and one item refused (training ends before it starts).
  const records = attach(gen(80, 5), ORG, 'CFA');
  const invalid = { ...records[0]!, id_erp_apprenant: 'CFA-REFUSE', date_fin_formation: '2020-01-01' };
  const answers = await pushAs(dp, ORG, [...records, invalid]);
  expect(answers[80]!.validation_errors!.map((e) => e.path)).toContain('date_fin_formation');
  await waitForDossiers(dp, 110);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await dp?.close();
});

async function signIn(page: Page, path: string, token: string): Promise<void> {
  await page.goto(`${dp.base}/tableau-de-bord/${path}`);
  await page.fill('#jeton', token);
  await page.click('button[type="submit"]');
}
const ready = (page: Page) => page.waitForSelector('#app[data-etat="pret"]', { timeout: 60_000 });

async function apiAs<T>(token: string, path: string): Promise<T> {
  const res = await fetch(dp.base + path, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

async function checkPage(page: Page, name: string): Promise<void> {
  expect(await accessibilityProblems(page)).toEqual([]);
  expect(
    await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth'),
  ).toBeLessThanOrEqual(0);
  await screenshot(page, name);
}

describe('Mission Locale page', () => {
  const paris = () => dp.token({ role: 'mission_locale', scope: [PARIS], sub: 'ml-paris:conseillere' });
  const lyon = () => dp.token({ role: 'mission_locale', scope: [LYON], sub: 'ml-lyon:conseiller' });

  test('an alert appears live; the follow-up shows in its history; Lyon sees none of it', async () => {
    const { page, context } = await newPage(browser);
    await signIn(page, 'mission-locale', paris());
    await ready(page);
    await page.waitForSelector('#etat-flux[data-flux="ouvert"]', { timeout: 15_000 });
    expect(await page.locator('#alertes tbody').innerText()).not.toContain('Lambert');
    const before = await page.locator('#synthese .tdb-chiffre__valeur').first().innerText();

    // The transition: a contract broken on 3 March, pushed now; the page is not reloaded.
    const pushed = Date.now();
    await pushAs(dp, ORG, [ruptureLearner(ORG)]);
    const row = page.locator('#alertes tbody tr', { hasText: 'Chloé Lambert' });
    await row.waitFor({ timeout: 15_000 });
    const latency = Date.now() - pushed;
    process.stderr.write(`dashboard: push → alert on the open Mission Locale page in ${latency} ms\n`);
    expect(latency).toBeLessThan(15_000);
    expect(await row.innerText()).toContain('Rupture de contrat depuis le 3 mars 2025');
    expect(await row.textContent()).toContain('Nouveau');
    expect(numberOf(await page.locator('#synthese .tdb-chiffre__valeur').first().innerText())).toBe(
      numberOf(before)! + 1,
    );
    // Most urgent first, as the API orders them.
    const list = await apiAs<{ alertes: { nom: string; prenom: string }[] }>(
      paris(),
      `/api/v1/missions-locales/${PARIS}/alertes?par_page=200`,
    );
    const names = await page.locator('#alertes tbody th button').allInnerTexts();
    expect(names.map((n) => n.trim())).toEqual(list.alertes.map((a) => `${a.prenom} ${a.nom}`.trim()));

    // Detail and follow-up.
    await row.locator('button').click();
    await page.waitForSelector('#suivi');
    const detail = await page.locator('#detail').innerText();
    expect(detail).toContain('chloe.lambert@example.org');
    expect(detail).toContain('Pourquoi cette alerte');
    await page.selectOption('#situation', 'contacte');
    await page.fill('#commentaire', 'Appel le 15/03, rendez-vous à fixer');
    await page.click('#suivi button[type="submit"]');
    const history = page.locator('#historique');
    await history.getByText('Appel le 15/03, rendez-vous à fixer').waitFor({ timeout: 10_000 });
    expect(await history.innerText()).toContain('contacté');
    expect(await history.innerText()).toContain('ml-paris:conseillere');
    expect(await row.innerText()).toContain('contacté');
    await checkPage(page, 'mission-locale-desktop');

    // Another Mission Locale: its page lists its own alerts only (the API's), never Paris's.
    const other = await newPage(browser, PHONE);
    await signIn(other.page, 'mission-locale', lyon());
    await ready(other.page);
    const lyonList = await apiAs<{ total: number; alertes: { alerte_id: string; nom: string }[] }>(
      lyon(),
      `/api/v1/missions-locales/${LYON}/alertes?par_page=200`,
    );
    expect(await other.page.locator('#alertes').innerText()).not.toContain('Lambert');
    expect(await other.page.locator('#alertes tbody th button').count()).toBe(lyonList.alertes.length);
    await checkPage(other.page, 'mission-locale-telephone');
    await other.context.close();
    await context.close();
  });

  test('an expired token is refused in words, with the API’s message', async () => {
    const { page, context } = await newPage(browser);
    const expired = signToken(
      dp.ctx.secrets.tokenSecret,
      { role: 'mission_locale', scope: [PARIS], sub: 'ancien', ttlSeconds: 3600 },
      dp.ctx.territoires,
      Date.parse('2024-01-01T00:00:00Z'),
    );
    await signIn(page, 'mission-locale', expired);
    const message = page.locator('.fr-alert--error');
    await message.waitFor({ timeout: 15_000 });
    expect(await message.innerText()).toContain('jeton expiré');
    expect(await message.innerText()).toContain('Demandez un nouveau jeton');
    // A CFA's token on this page: the role is named.
    await page.fill('#jeton', dp.token({ role: 'cfa', scope: [ORG.uai] }));
    await page.click('button[type="submit"]');
    expect(await page.locator('#jeton-erreur').innerText()).toContain('cette page demande un jeton');
    await checkPage(page, 'connexion-desktop');
    await context.close();
  });
});

describe('CFA page', () => {
  test.each([
    ['desktop', DESKTOP],
    ['telephone', PHONE],
  ])('its rejected item with the field named, its batches, indicators and list (%s)', async (name, size) => {
    const token = dp.token({ role: 'cfa', scope: [ORG.uai], sub: 'cfa-ain' });
    const { page, context } = await newPage(browser, size);
    await signIn(page, 'cfa', token);
    await ready(page);
    const rejets = page.locator('#rejets');
    await rejets.waitFor({ timeout: 60_000 });
    const text = await rejets.innerText();
    expect(text).toContain('date_fin_formation');
    expect(text).toContain('antérieure');
    expect(text).toContain('la date de fin de formation doit suivre la date d’entrée');
    expect(await page.locator('#rejets-section > p').first().innerText()).toContain('1 dossier refusé');

    const batches = await page.locator('#lots tbody tr').count();
    expect(batches).toBeGreaterThanOrEqual(1);
    const ind = await apiAs<Record<string, number>>(
      token,
      `/api/v1/indicateurs?date=${TODAY}&uai=${ORG.uai}`,
    );
    for (const k of ['apprenants', 'apprentis', 'inscrits', 'rupturants', 'abandons'])
      expect(
        numberOf(await page.locator(`#chiffres-cles [data-indicateur="${k}"] [data-valeur]`).innerText()),
      ).toBe(ind[k]);
    const list = await apiAs<{ total: number }>(token, `/api/v1/apprenants?uai=${ORG.uai}&par_page=1`);
    await page.locator('#apprenants tbody tr').first().waitFor();
    expect(await page.locator('#apprenants caption').innerText()).toContain(`${list.total} apprenant`);
    expect(await page.locator('#apprenants tbody tr').count()).toBe(Math.min(50, list.total));
    await checkPage(page, `cfa-${name}`);
    await context.close();
  });
});

describe('operator page', () => {
  test.each([
    ['desktop', DESKTOP],
    ['telephone', PHONE],
  ])('who transmits, who stopped (since when), counts per département (%s)', async (name, size) => {
    const token = dp.token({ role: 'ddets', scope: ['01', '69'], sub: 'ddets' });
    const { page, context } = await newPage(browser, size);
    await signIn(page, 'operateur', token);
    await ready(page);
    const api = await apiAs<{
      par_departement: {
        departement: string;
        transmettent: number;
        arretes: number;
        non_fiables: number;
        jamais: number;
      }[];
    }>(token, '/api/v1/organismes/transmissions');
    expect(api.par_departement.map((d) => d.departement)).toEqual(['01', '69']);
    const rows = await page.locator('#departements tbody tr').allInnerTexts();
    for (const [i, d] of api.par_departement.entries()) {
      const cells = rows[i]!.split('\t').map((c) => c.trim());
      expect(cells.slice(1).map(numberOf)).toEqual([d.transmettent, d.arretes, d.non_fiables, d.jamais]);
    }
    // (textContent: the badges are upper-cased by the style sheet.)
    const stoppedRow = await page.locator('#organismes tbody tr', { hasText: stopped.uai }).textContent();
    expect(stoppedRow).toContain('A cessé de transmettre');
    expect(stoppedRow).toContain('20/02/2025');
    expect(stoppedRow).toContain('il y a 23 jours');
    expect(await page.locator('#organismes tbody tr', { hasText: ORG.uai }).textContent()).toContain(
      'Transmet',
    );
    await checkPage(page, `operateur-${name}`);
    await context.close();
  });
});

describe('read routes added for the pages', () => {
  const get = (path: string, token?: string) =>
    fetch(dp.base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  test('/organismes/{uai}/rejets and /lots: own organisation or territory only; field, reason, fix', async () => {
    const own = dp.token({ role: 'cfa', scope: [ORG.uai] });
    const otherCfa = dp.token({ role: 'cfa', scope: [stopped.uai] });
    expect((await get(`/api/v1/organismes/${ORG.uai}/rejets`)).status).toBe(401);
    const refused = await get(`/api/v1/organismes/${ORG.uai}/rejets`, otherCfa);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'HORS_PERIMETRE', champ: 'uai' });
    expect(
      (
        await get(
          `/api/v1/organismes/${ORG.uai}/rejets`,
          dp.token({ role: 'mission_locale', scope: [PARIS] }),
        )
      ).status,
    ).toBe(403);
    expect(
      (await get(`/api/v1/organismes/${ORG.uai}/rejets`, dp.token({ role: 'ddets', scope: ['13'] }))).status,
    ).toBe(403);
    const r = await get(
      `/api/v1/organismes/${ORG.uai}/rejets?jours=30`,
      dp.token({ role: 'ddets', scope: ['01'] }),
    );
    expect(r.status).toBe(200);
    const body = (await r.json()) as {
      total: number;
      par_jour: { jour: string; rejets: number }[];
      rejets: {
        emplacement: string;
        erreurs: { code: string; champ: string; raison: string; correction: string }[];
      }[];
    };
    expect(body.total).toBe(1);
    expect(body.par_jour).toEqual([{ jour: TODAY, rejets: 1 }]);
    expect(body.rejets[0]!.erreurs).toEqual([
      expect.objectContaining({
        code: 'FIN_AVANT_ENTREE',
        champ: 'date_fin_formation',
        correction: expect.stringContaining('date de fin'),
      }),
    ]);
    const csv = await (await get(`/api/v1/organismes/${ORG.uai}/rejets?format=csv`, own)).text();
    expect(csv.split('\n')[0]).toContain('champ');
    expect(csv).toContain('date_fin_formation');
    // The other organisation has no rejected item: nothing of ORG's shows there.
    const theirs = await (await get(`/api/v1/organismes/${stopped.uai}/rejets`, otherCfa)).json();
    expect(theirs).toMatchObject({ total: 0, rejets: [], par_jour: [] });

    const lots = (await (await get(`/api/v1/organismes/${ORG.uai}/lots?n=1`, own)).json()) as {
      lots: { recus: number }[];
    };
    expect(lots.lots).toHaveLength(1);
    expect((lots as unknown as { nom: string }).nom).toBe(
      dp.ctx.organismes.byUai(ORG.uai)[0]!.enseigne || dp.ctx.organismes.byUai(ORG.uai)[0]!.raison_sociale,
    );
    expect((await get(`/api/v1/organismes/${ORG.uai}/lots`, otherCfa)).status).toBe(403);
    const bad = await get(`/api/v1/organismes/0010070X/lots`, own);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ champ: 'uai' });
  });

  test('/organismes/transmissions: territorial roles and admin; a département outside the scope is a 403 naming it', async () => {
    expect((await get('/api/v1/organismes/transmissions')).status).toBe(401);
    expect(
      (await get('/api/v1/organismes/transmissions', dp.token({ role: 'cfa', scope: [ORG.uai] }))).status,
    ).toBe(403);
    const ddets = dp.token({ role: 'ddets', scope: ['01'] });
    const outside = await get('/api/v1/organismes/transmissions?departement=69', ddets);
    expect(outside.status).toBe(403);
    expect(await outside.json()).toMatchObject({ code: 'HORS_PERIMETRE', champ: 'departement' });
    const own = (await (await get('/api/v1/organismes/transmissions', ddets)).json()) as {
      organismes: { uai: string; etat: string }[];
    };
    expect(own.organismes.map((o) => [o.uai, o.etat])).toEqual([[ORG.uai, 'transmet']]);
    const admin = dp.token({ role: 'admin', scope: [] });
    const arretes = (await (await get('/api/v1/organismes/transmissions?etat=arrete', admin)).json()) as {
      organismes: { uai: string; derniere_transmission: string; jours_sans_transmission: number }[];
    };
    expect(arretes.organismes).toEqual([
      expect.objectContaining({ uai: stopped.uai, jours_sans_transmission: 23 }),
    ]);
    expect(arretes.organismes[0]!.derniere_transmission.slice(0, 10)).toBe(STOPPED_ON);
    // A threshold of 30 days: it still transmits.
    const lenient = (await (
      await get('/api/v1/organismes/transmissions?seuil_jours=30&etat=arrete', admin)
    ).json()) as {
      organismes: unknown[];
    };
    expect(lenient.organismes).toEqual([]);
    const docs = (await (await get('/docs/json')).json()) as { paths: Record<string, unknown> };
    for (const p of [
      '/api/v1/organismes/transmissions',
      '/api/v1/organismes/{uai}/rejets',
      '/api/v1/organismes/{uai}/lots',
    ])
      expect(Object.keys(docs.paths)).toContain(p);
  });

  test('the pages are served with a strict Content-Security-Policy and the platform date; / leads to them', async () => {
    const res = await get('/tableau-de-bord/cfa');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await res.text()).toContain(`<meta name="tdb-date" content="${TODAY}">`);
    const root = await fetch(`${dp.base}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/tableau-de-bord/');
  });
});
