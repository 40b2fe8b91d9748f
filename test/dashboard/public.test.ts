/**
 * The public page in a real browser (Debian's Chromium, playwright-core), on learners pushed by
 * ERPs through the real pipeline (push API → change topic → `tdb processor run` → ClickHouse):
 * the figures shown equal the public API's answers (key figures, map, series, tables); a filter
 * changes the map, the series and the tables and survives a reload (it is in the URL); a count the
 * API hides is shown "n.d." with its explanation; the CSV download holds the table's rows; axe-core
 * finds no serious or critical violation, on a desktop and at a phone's width (375 px).
 * Screenshots: test-artefacts/dashboard/public-*.png.
 */
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { publicLots, SMALL_DEPARTEMENT } from './dataset';
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
  waitForDossiers,
  type DashboardPlatform,
} from './support';

jest.setTimeout(240_000);

const TODAY = '2025-03-15';
const COUNTERS = ['apprenants', 'apprentis', 'inscrits', 'rupturants', 'abandons'] as const;
type Counts = Record<(typeof COUNTERS)[number], number | null> & { masque: string[] };

let dp: DashboardPlatform;
let browser: Browser;

beforeAll(async () => {
  dp = await startDashboardPlatform({ today: TODAY });
  let n = 0;
  for (const lot of publicLots(dp.ctx, TODAY)) {
    const answers = await pushAs(dp, lot.organisme, lot.records);
    n += answers.filter((a) => (a.validation_errors ?? []).length === 0).length;
  }
  await waitForDossiers(dp, n);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await dp?.close();
});

/** The public API (no token), as the page calls it. */
async function api<T>(path: string): Promise<T> {
  const res = await fetch(dp.base + path);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

/** Opens the public page at `query` and waits until every section has its answer. */
async function open(page: Page, query = ''): Promise<void> {
  await page.goto(`${dp.base}/tableau-de-bord/${query}`);
  await ready(page);
}
const ready = (page: Page) => page.waitForSelector('#app[data-etat="pret"]', { timeout: 30_000 });

async function keyFigures(page: Page): Promise<Record<string, number | null>> {
  const out: Record<string, number | null> = {};
  for (const k of COUNTERS)
    out[k] = numberOf(
      await page.locator(`#chiffres-cles [data-indicateur="${k}"] [data-valeur]`).innerText(),
    );
  return out;
}

/** The rows of a table: its row header, then the numbers of the five counters. */
async function tableRows(page: Page, id: string): Promise<{ head: string; counts: (number | null)[] }[]> {
  return page.locator(`#${id} tbody tr`).evaluateAll((trs) =>
    trs.map((tr) => {
      const cells = [...tr.children].map((c) => (c.textContent ?? '').trim());
      return {
        head: cells[0]!,
        counts: cells.slice(1).map((t) => (t.startsWith('n.d.') ? null : Number(t.replace(/[^\d-]/g, '')))),
      };
    }),
  );
}

const countsOf = (c: Counts) => COUNTERS.map((k) => c[k]);

interface Par {
  date: string;
  lignes: (Counts & { code: string | null; libelle: string | null })[];
  total: Counts;
}

test('the figures on the page are the public API’s: key figures, change over a year, map, series, table', async () => {
  const { page, context } = await newPage(browser);
  await open(page);
  const now = await api<Counts>(`/api/v1/indicateurs?date=${TODAY}`);
  expect(now.apprenants).toBeGreaterThan(1000);
  expect(await keyFigures(page)).toEqual(Object.fromEntries(COUNTERS.map((k) => [k, now[k]])));
  const before = await api<Counts>('/api/v1/indicateurs?date=2024-03-15');
  const evo = await page
    .locator('#chiffres-cles [data-indicateur="apprenants"] .tdb-chiffre__evolution')
    .innerText();
  expect(evo).toContain('au 15 mars 2024');
  expect(numberOf(/\(([^)]*) au /.exec(evo)![1]!)).toBe(before.apprenants);

  // Table by région (the default), with the total row.
  const regions = await api<Par>(`/api/v1/indicateurs/par/region?date=${TODAY}`);
  const rows = await tableRows(page, 'tableau-indicateurs');
  expect(rows.map((r) => r.counts)).toEqual([...regions.lignes.map(countsOf), countsOf(regions.total)]);
  expect(rows.map((r) => r.head)).toEqual([
    ...regions.lignes.map((l) => `${l.libelle} (${l.code})`),
    'Total',
  ]);

  // Map by département: every département with learners is coloured, labelled with its figure.
  const deps = await api<Par>(`/api/v1/indicateurs/par/departement?date=${TODAY}`);
  for (const l of deps.lignes.filter((x) => x.code && x.code.length === 2)) {
    const label = await page.locator(`#carte path[data-code="${l.code}"]`).getAttribute('aria-label');
    expect(label).toContain(
      l.apprenants === null ? 'n.d.' : new Intl.NumberFormat('fr-FR').format(l.apprenants),
    );
  }
  expect(await page.locator('#carte path[data-code="04"]').getAttribute('aria-label')).toContain(
    'hors de la sélection',
  );
  // A click shows that département's figures.
  const rhone = deps.lignes.find((l) => l.code === '69')!;
  await page.locator('#carte path[data-code="69"]').click();
  await expect(page.locator('#carte-detail').innerText()).resolves.toContain('Rhône');
  const detail = await page.locator('#carte-detail dd').allInnerTexts();
  expect(detail.map(numberOf)).toEqual(countsOf(rhone));
  expect(page.url()).toContain('choisi=69');

  // The monthly series (table behind the chart).
  const series = await api<{ points: (Counts & { date: string })[] }>(
    `/api/v1/indicateurs/series?from=2023-03-15&to=${TODAY}&pas=mois`,
  );
  await page.locator('#series-donnees summary').click();
  expect((await tableRows(page, 'table-series')).map((r) => r.counts)).toEqual(series.points.map(countsOf));
  await page.locator('#graphique-series svg path').first().waitFor({ state: 'attached' });
  expect(await page.locator('#graphique-series svg path').count()).toBeGreaterThan(5);
  await context.close();
});

test('a filter changes the key figures, the map, the series and the table, and survives a reload', async () => {
  const { page, context } = await newPage(browser);
  await open(page);
  const all = await keyFigures(page);
  await page.selectOption('#filtre-region', '84');
  await page.click('form[aria-labelledby="titre-filtres"] button[type="submit"]');
  await ready(page);
  expect(new URL(page.url()).searchParams.get('region')).toBe('84');

  const check = async () => {
    const now = await api<Counts>(`/api/v1/indicateurs?date=${TODAY}&region=84`);
    expect(await keyFigures(page)).toEqual(Object.fromEntries(COUNTERS.map((k) => [k, now[k]])));
    expect(now.apprenants!).toBeLessThan(all.apprenants!);
    const par = await api<Par>(`/api/v1/indicateurs/par/region?date=${TODAY}&region=84`);
    expect((await tableRows(page, 'tableau-indicateurs')).map((r) => r.counts)).toEqual([
      ...par.lignes.map(countsOf),
      countsOf(par.total),
    ]);
    expect(par.lignes.map((l) => l.code)).toEqual(['84']);
    // The map: départements of the région coloured, the others outside the selection.
    expect(await page.locator('#carte path[data-code="69"]').getAttribute('aria-label')).not.toContain(
      'hors de',
    );
    expect(await page.locator('#carte path[data-code="13"]').getAttribute('aria-label')).toContain(
      'hors de la sélection',
    );
    const series = await api<{ points: Counts[] }>(
      `/api/v1/indicateurs/series?from=2023-03-15&to=${TODAY}&pas=mois&region=84`,
    );
    await page.locator('#series-donnees summary').click();
    expect((await tableRows(page, 'table-series')).map((r) => r.counts)).toEqual(series.points.map(countsOf));
    expect(await page.locator('#filtre-region').inputValue()).toBe('84');
  };
  await check();
  await page.reload();
  await ready(page);
  expect(new URL(page.url()).searchParams.get('region')).toBe('84');
  await check();
  await context.close();
});

test('a count the API hides is "n.d." with the statistical secrecy explained; the CSV holds the table’s rows', async () => {
  const { page, context } = await newPage(browser);
  await open(page, '?tableau=departement');
  const deps = await api<Par>(`/api/v1/indicateurs/par/departement?date=${TODAY}`);
  const small = deps.lignes.find((l) => l.code === SMALL_DEPARTEMENT)!;
  expect(small.apprenants).toBeNull();
  expect(small.masque).toContain('apprenants');
  const rows = await tableRows(page, 'tableau-indicateurs');
  const shown = rows.find((r) => r.head.endsWith(`(${SMALL_DEPARTEMENT})`))!;
  expect(shown.counts).toEqual(countsOf(small));
  const abbr = page
    .locator('#tableau-indicateurs tbody tr', { hasText: `(${SMALL_DEPARTEMENT})` })
    .locator('abbr')
    .first();
  expect(await abbr.innerText()).toBe('n.d.');
  expect(await abbr.getAttribute('title')).toContain('secret statistique');
  await expect(page.locator('#secret-statistique').innerText()).resolves.toContain('de 1 à 4');

  // CSV: the same rows, in the same order, hidden cells empty.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#telecharger-csv')]);
  const csv = fs.readFileSync((await download.path())!, 'utf8');
  const records = parse(csv.replace(/^\uFEFF/, ''), { delimiter: ';', columns: true }) as Record<
    string,
    string
  >[];
  expect(records.map((r) => r.code)).toEqual([...deps.lignes.map((l) => l.code ?? ''), 'total']);
  expect(records.map((r) => COUNTERS.map((k) => (r[k] === '' ? null : Number(r[k]))))).toEqual(
    rows.map((r) => r.counts),
  );
  // Named after the date the API published (a small population is given at the 1st of its month).
  expect(download.suggestedFilename()).toBe(`indicateurs-par-departement-${deps.date}.csv`);
  await context.close();
});

test.each([
  ['desktop', DESKTOP],
  ['telephone', PHONE],
])('no serious or critical accessibility violation (%s); screenshot', async (name, size) => {
  const { page, context } = await newPage(browser, size);
  await open(page);
  expect(await accessibilityProblems(page)).toEqual([]);
  // Nothing wider than the screen but the tables' own scrolling frames.
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
  expect(overflow).toBeLessThanOrEqual(0);
  await screenshot(page, `public-${name}`);
  await context.close();
});
