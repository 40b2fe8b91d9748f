/**
 * Builds the dashboard's pages (`npm run build:dashboard`, run by infra/scripts/ensure-deps.sh when
 * a source is newer than the output) into `dist/dashboard/` (git-ignored), which api/dashboard/plugin.ts
 * serves:
 *
 * - one HTML file per page (PAGES below), in French, with the State design system's header and footer;
 * - the browser code (api/dashboard/src/<page>/main.ts, plain TypeScript with lit-html templates,
 *   ECharts, the SVG maps of @svg-maps) bundled by esbuild into `assets/<page>-<hash>.js`;
 * - the design system (@gouvfr/dsfr: CSS, its JS for menus, tabs and modals, the Marianne fonts,
 *   the icons the pages use) bundled into `assets/dsfr-<hash>.css` with the files it refers to, so that
 *   nothing is loaded from a CDN (the machines have no network);
 * - the labels of régions, départements and académies (filter lists), bundled into the code from the
 *   same referentials as the API (streams/referentiels; `virtual:territoires`).
 *
 * Hashed names let the plugin cache assets for a year; HTML pages are never cached.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { parse } from 'csv-parse/sync';
import { loadTerritoires } from '../../streams/referentiels/territoires';
import { OUT_DIR, PAGES, ROOT } from './build-config';

const SRC = path.join(__dirname, 'src');
const DSFR = path.join(ROOT, 'node_modules', '@gouvfr', 'dsfr', 'dist');

/** Région, département and académie labels of the codes the API accepts (streams/referentiels). */
function territoriesModule(): string {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const regions = require('@etalab/decoupage-administratif/data/regions.json') as {
    code: string;
    nom: string;
  }[];
  const deps = require('@etalab/decoupage-administratif/data/departements.json') as {
    code: string;
    nom: string;
  }[];
  /* eslint-enable @typescript-eslint/no-require-imports */
  const academies = parse(fs.readFileSync(path.join(ROOT, 'streams/referentiels/data/academies.csv')), {
    columns: true,
    delimiter: ';',
  }) as { departement: string; academie_code: string; academie_nom: string }[];
  const t = loadTerritoires();
  const departements = deps
    .filter((d) => t.ofDepartement(d.code))
    .map((d) => ({ code: d.code, nom: d.nom, ...t.ofDepartement(d.code)! }));
  const usedRegions = new Set(departements.map((d) => d.region));
  const data = {
    regions: regions.filter((r) => usedRegions.has(r.code)).map((r) => ({ code: r.code, nom: r.nom })),
    departements: departements.map((d) => ({
      code: d.code,
      nom: d.nom,
      region: d.region,
      academie: d.academie,
    })),
    academies: [...new Map(academies.map((a) => [a.academie_code, a.academie_nom])).entries()]
      .map(([code, nom]) => ({ code, nom }))
      .sort((a, b) => a.nom.localeCompare(b.nom, 'fr')),
  };
  return `export default ${JSON.stringify(data)};`;
}

function html(page: (typeof PAGES)[number], js: string, css: string, dsfrJs: string): string {
  const nav = PAGES.map(
    (p) =>
      `<li class="fr-nav__item"><a class="fr-nav__link" href="/tableau-de-bord/${p.path}"${p === page ? ' aria-current="page"' : ''}>${p.nav}</a></li>`,
  ).join('');
  return `<!doctype html>
<html lang="fr" data-fr-scheme="light">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no">
<meta name="format-detection" content="telephone=no">
<title>${page.title} — Tableau de bord de l'apprentissage</title>
<link rel="stylesheet" href="/tableau-de-bord/assets/${css}">
<link rel="icon" href="/tableau-de-bord/assets/favicon.svg" type="image/svg+xml">
</head>
<body>
<div class="fr-skiplinks"><nav class="fr-container" role="navigation" aria-label="Accès rapide"><ul class="fr-skiplinks__list"><li><a class="fr-link" href="#contenu">Contenu</a></li><li><a class="fr-link" href="#pied-de-page">Pied de page</a></li></ul></nav></div>
<header role="banner" class="fr-header">
<div class="fr-header__body"><div class="fr-container"><div class="fr-header__body-row">
<div class="fr-header__brand fr-enlarge-link">
<div class="fr-header__brand-top">
<div class="fr-header__logo"><p class="fr-logo">République<br>Française</p></div>
<div class="fr-header__navbar"><button class="fr-btn--menu fr-btn" data-fr-opened="false" aria-controls="menu-principal" aria-haspopup="menu" id="bouton-menu" title="Menu">Menu</button></div>
</div>
<div class="fr-header__service"><a href="/tableau-de-bord/" title="Accueil — Tableau de bord de l'apprentissage"><p class="fr-header__service-title">Tableau de bord de l'apprentissage</p></a><p class="fr-header__service-tagline">Apprentis, inscrits sans contrat, rupturants et abandons, en temps réel</p></div>
</div>
</div></div></div>
<div class="fr-header__menu fr-modal" id="menu-principal" aria-labelledby="bouton-menu">
<div class="fr-container"><button class="fr-btn--close fr-btn" aria-controls="menu-principal" title="Fermer">Fermer</button>
<div class="fr-header__menu-links"></div>
<nav class="fr-nav" role="navigation" aria-label="Menu principal"><ul class="fr-nav__list">${nav}</ul></nav>
</div></div>
</header>
<main id="contenu" role="main" tabindex="-1" class="fr-container fr-py-4w">
<h1 class="fr-h2">${page.title}</h1>
<div id="app" aria-busy="true"><p>Chargement…</p></div>
<noscript><p>Cette page a besoin de JavaScript. Les mêmes données sont disponibles par l'API, documentée sur <a href="/docs">/docs</a>.</p></noscript>
</main>
<footer class="fr-footer" role="contentinfo" id="pied-de-page">
<div class="fr-container"><div class="fr-footer__body">
<div class="fr-footer__brand fr-enlarge-link"><a href="/tableau-de-bord/" title="Retour à l'accueil"><p class="fr-logo">République<br>Française</p></a></div>
<div class="fr-footer__content"><p class="fr-footer__content-desc">Chaque chiffre de ces pages vient de l'API de lecture de la plateforme, documentée sur <a href="/docs">/docs</a> : les pages et l'API ne peuvent pas se contredire. Les petits effectifs sont masqués (secret statistique).</p></div>
</div></div>
</footer>
<script type="module" src="/tableau-de-bord/assets/${dsfrJs}"></script>
<script type="module" src="/tableau-de-bord/assets/${js}"></script>
</body>
</html>
`;
}

/** Output name (relative to assets/) of an entry point in esbuild's metafile. */
function outputOf(meta: Metafile, entry: string, assets: string): string {
  for (const [out, info] of Object.entries(meta.outputs))
    if (info.entryPoint && path.resolve(ROOT, info.entryPoint) === path.resolve(entry))
      return path.relative(assets, path.resolve(ROOT, out));
  throw new Error(`no output for ${entry}`);
}

export async function buildDashboard(opts: { quiet?: boolean } = {}): Promise<void> {
  const started = Date.now();
  const tmp = `${OUT_DIR}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const assets = path.join(tmp, 'assets');
  fs.mkdirSync(assets, { recursive: true });
  const entries = PAGES.map((p) => path.join(SRC, p.entry, 'main.ts'));
  const css = path.join(SRC, 'styles.css');
  const result = await build({
    entryPoints: [...entries, css],
    absWorkingDir: ROOT,
    bundle: true,
    splitting: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    sourcemap: true,
    outdir: assets,
    outbase: SRC,
    entryNames: '[dir]/[name]-[hash]',
    chunkNames: 'commun-[hash]',
    assetNames: '[name]-[hash]',
    loader: { '.woff2': 'file', '.woff': 'file', '.svg': 'file' },
    metafile: true,
    logLevel: 'warning',
    plugins: [
      {
        name: 'territoires',
        setup(b) {
          b.onResolve({ filter: /^virtual:territoires$/ }, () => ({ path: 'territoires', namespace: 'tdb' }));
          b.onLoad({ filter: /.*/, namespace: 'tdb' }, () => ({
            contents: territoriesModule(),
            loader: 'js',
          }));
        },
      },
    ],
  });
  const meta = result.metafile;
  const dsfrJs = 'dsfr.module.min.js';
  fs.copyFileSync(path.join(DSFR, dsfrJs), path.join(assets, dsfrJs));
  fs.copyFileSync(path.join(DSFR, 'favicon', 'favicon.svg'), path.join(assets, 'favicon.svg'));
  // Compressed copies, served instead when the browser accepts them (@fastify/static preCompressed).
  for (const file of fs.readdirSync(assets, { recursive: true, withFileTypes: true })) {
    if (!file.isFile() || !/\.(js|css|svg)$/.test(file.name)) continue;
    const full = path.join(file.parentPath, file.name);
    const data = fs.readFileSync(full);
    fs.writeFileSync(
      `${full}.br`,
      zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9 } }),
    );
    fs.writeFileSync(`${full}.gz`, zlib.gzipSync(data, { level: 9 }));
  }
  const cssOut = outputOf(meta, css, assets);
  for (const [i, page] of PAGES.entries())
    fs.writeFileSync(
      path.join(tmp, page.file),
      html(page, outputOf(meta, entries[i]!, assets), cssOut, dsfrJs),
    );
  fs.rmSync(OUT_DIR, { recursive: true, force: true });
  fs.renameSync(tmp, OUT_DIR);
  if (!opts.quiet)
    process.stderr.write(
      `dashboard built in ${Date.now() - started} ms → ${path.relative(process.cwd(), OUT_DIR) || OUT_DIR}\n`,
    );
}

if (require.main === module) {
  buildDashboard().catch((err) => {
    process.stderr.write(`dashboard build failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
