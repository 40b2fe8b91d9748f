/**
 * Helpers of the dashboard's browser tests (and of bench/dashboard.bench.ts):
 *
 * - `startDashboardPlatform`: an isolated namespace on the real services, `tdb processor run` (and
 *   `tdb alertes run` when asked) as child processes, the application listening on a random port,
 *   a platform clock in a file (TDB_CLOCK=file:…) that tests move;
 * - `pushAs`: learner records POSTed as an ERP does (the organisation's API key), through the real
 *   pipeline;
 * - `launchBrowser`: Debian's Chromium driven by playwright-core, with the flags a closed network
 *   needs (without the background-networking ones, Chromium's own connections are refused and slow
 *   it down), each launch with a new empty profile;
 * - `accessibilityProblems`: axe-core's serious and critical violations of a page;
 * - `screenshot`: a full-page PNG under test-artefacts/dashboard/ (git-ignored).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildApp } from '../../api/app';
import { signToken, type TokenRequest } from '../../api/auth/tokens';
import { buildDashboard } from '../../api/dashboard/build';
import { OUT_DIR } from '../../api/dashboard/build-config';
import { redisApiKeyStore } from '../../connectors/http/api-keys';
import type { Context } from '../../infra/context';
import {
  createTestPlatform,
  eventually,
  ORGANISMES_CSV,
  ZONES_EMPLOI_CSV,
  type TestPlatform,
} from '../support/platform';
import { allJoined, spawnTdb, type TdbProcess } from '../support/tdb-process';

const REPO = path.resolve(__dirname, '..', '..');
export const ARTEFACTS = path.join(REPO, 'test-artefacts', 'dashboard');
export const MISSIONS_LOCALES_CSV = path.join(REPO, 'test', 'streams', 'fixtures', 'missions-locales.csv');

/** Chromium's path (Debian's package); TDB_CHROMIUM overrides it. */
export const CHROMIUM = process.env.TDB_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 375, height: 740 };

export interface DashboardPlatform {
  platform: TestPlatform;
  ctx: Context;
  app: FastifyInstance;
  base: string;
  children: TdbProcess[];
  /** Moves the platform clock of every process (AAAA-MM-JJ or an ISO instant). */
  setClock(iso: string): void;
  token(req: Omit<TokenRequest, 'sub'> & { sub?: string }): string;
  close(): Promise<void>;
}

/** Builds the pages when the output is missing (the install step normally did it). */
export async function ensureDashboardBuilt(): Promise<void> {
  if (!fs.existsSync(path.join(OUT_DIR, 'index.html'))) await buildDashboard({ quiet: true });
}

export async function startDashboardPlatform(
  opts: { today: string; alertes?: boolean; env?: Record<string, string> } = { today: '2025-03-15' },
): Promise<DashboardPlatform> {
  await ensureDashboardBuilt();
  const clockFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tdb-horloge-')), 'horloge');
  fs.writeFileSync(clockFile, opts.today);
  const env: Record<string, string> = {
    TDB_CLOCK: `file:${clockFile}`,
    TDB_ORGANISMES_CSV: ORGANISMES_CSV,
    TDB_ZONES_EMPLOI_CSV: ZONES_EMPLOI_CSV,
    TDB_MISSIONS_LOCALES_CSV: MISSIONS_LOCALES_CSV,
    TDB_API_RATE_LIMIT: '100000',
    TDB_ALERTES_SSE_HEARTBEAT_MS: '1000',
    TDB_PROCESSOR_TICK_MS: '1000',
    ...opts.env,
  };
  let platform: TestPlatform | undefined;
  for (let attempt = 1; !platform; attempt++) {
    try {
      platform = await createTestPlatform(env);
    } catch (err) {
      // Creating topics can fail transiently while other files create and delete theirs.
      if (attempt >= 3) throw err;
    }
  }
  const childEnv = { ...env, TDB_NAMESPACE: platform.config.TDB_NAMESPACE };
  const children = [spawnTdb('processor', ['processor', 'run'], childEnv)];
  if (opts.alertes) children.push(spawnTdb('alert-inbox', ['alertes', 'run'], childEnv));
  await allJoined(children);
  const app = await buildApp(platform.ctx, { logger: false, queryCacheTtlMs: 0 });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const { ctx } = platform;
  return {
    platform,
    ctx,
    app,
    base,
    children,
    setClock: (iso) => fs.writeFileSync(clockFile, iso),
    token: (req) =>
      signToken(
        ctx.secrets.tokenSecret,
        { sub: `test-${req.role}`, ...req },
        ctx.territoires,
        ctx.clock.now(),
      ),
    async close() {
      for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGTERM');
      await Promise.all(
        children.map(async (c) => {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([c.exited, new Promise((r) => (timer = setTimeout(r, 20_000)))]);
          clearTimeout(timer);
        }),
      );
      await app.close();
      await platform!.cleanup();
      fs.rmSync(path.dirname(clockFile), { recursive: true, force: true });
    },
  };
}

const keys = new Map<string, string>();

/** POSTs records as the ERP of organisation (uai, siret) does; returns the per-item answers. */
export async function pushAs(
  dp: DashboardPlatform,
  org: { uai: string; siret: string },
  records: unknown[],
): Promise<{ validation_errors?: { path: string; message: string }[] }[]> {
  const id = `${dp.ctx.config.TDB_NAMESPACE}:${org.uai}:${org.siret}`;
  let key = keys.get(id);
  if (!key) {
    key = (
      await redisApiKeyStore(dp.ctx.redis, dp.ctx.keys.apiKeys).create({
        uai: org.uai,
        siret: org.siret,
        erp: 'test',
        now: dp.ctx.clock.now(),
      })
    ).key;
    keys.set(id, key);
  }
  const out: { validation_errors?: { path: string; message: string }[] }[] = [];
  for (let i = 0; i < records.length; i += 2000) {
    const res = await fetch(`${dp.base}/api/v3/dossiers-apprenants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(records.slice(i, i + 2000)),
    });
    if (res.status !== 200) throw new Error(`push: HTTP ${res.status} ${await res.text()}`);
    out.push(...((await res.json()) as { data: typeof out }).data);
  }
  return out;
}

/** Waits until ClickHouse holds `n` current learner records (the processor caught up). */
export async function waitForDossiers(dp: DashboardPlatform, n: number, timeoutMs = 60_000): Promise<void> {
  const db = dp.ctx.clickhouse.database;
  await eventually(
    async () =>
      Number(
        (
          await dp.ctx.clickhouse.query<{ n: string }>(
            `SELECT count() AS n FROM ${db}.dossiers FINAL WHERE deleted = 0`,
          )
        )[0]!.n,
      ),
    (have) => have >= n,
    timeoutMs,
    200,
  ).catch((err: Error) => {
    throw new Error(
      `${err.message}\n${dp.children.map((c) => `--- ${c.name}:\n${c.stderr().slice(-2000)}`).join('\n')}`,
    );
  });
}

/** Waits until the `transmissions` table holds `n` batches. */
export async function waitForBatches(dp: DashboardPlatform, n: number, timeoutMs = 30_000): Promise<void> {
  const db = dp.ctx.clickhouse.database;
  await eventually(
    async () =>
      Number(
        (
          await dp.ctx.clickhouse.query<{ n: string }>(`SELECT count() AS n FROM ${db}.transmissions FINAL`)
        )[0]!.n,
      ),
    (have) => have >= n,
    timeoutMs,
    200,
  );
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

/** A new context (own sessionStorage) and page at `size`, French locale, Paris time. */
export async function newPage(
  browser: Browser,
  size: { width: number; height: number } = DESKTOP,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: size,
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  return { context, page };
}

/** axe-core (WCAG 2.1 A and AA rules): the serious and critical violations, as readable lines. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} — ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 5)
          .join(', ')}`,
    );
}

/** Saves a full-page PNG as test-artefacts/dashboard/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTEFACTS, { recursive: true });
  const file = path.join(ARTEFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Digits of a displayed number ("12 345" → 12345); null for "n.d.". */
export function numberOf(text: string): number | null {
  const t = text.trim();
  if (t.startsWith('n.d.')) return null;
  const digits = t.replace(/[^\d-]/g, '');
  if (digits === '') throw new Error(`not a number: "${text}"`);
  return Number(digits);
}
