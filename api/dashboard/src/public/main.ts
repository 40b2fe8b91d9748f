/**
 * The public page (no sign-in): the five indicators at a date with their change over one year, the
 * map of départements or régions coloured by one indicator (a click shows that territory's
 * figures), the monthly series over a period, and the tables by région, département, académie,
 * zone d'emploi, niveau and formation, with CSV/XLSX downloads. Filters (territory, niveau,
 * domaine, date) and choices (map, table, period) live in the URL, so a view can be shared and
 * survives a reload. Every number comes from the public routes of the read API (statistical
 * secrecy applied: hidden counts are `null` and shown as "n.d.").
 *
 * API calls per view: /indicateurs at the date and one year before, /indicateurs/par/<map level>,
 * /indicateurs/series, and /indicateurs/par/<table> when the table is not the map's level.
 */
import territoires from 'virtual:territoires';
import { html, nothing, type TemplateResult } from 'lit-html';
import { ApiFailure, getJson, query } from '../common/api';
import {
  cell,
  COUNTER_HELP,
  COUNTER_LABELS,
  COUNTERS,
  evolution,
  jour,
  mois,
  monthsBefore,
  yearsBefore,
  type Counter,
  type Counts,
} from '../common/format';
import { platformToday, show } from '../common/page';
import { alert, counterColumns, table, type Column } from '../common/table';
import { franceMap, type MapValue } from './map';

/** ECharts is loaded on its own, in parallel with the API calls: the numbers do not wait for it. */
const charts = import('../common/chart');

const DIMENSIONS = {
  region: 'Région',
  departement: 'Département',
  academie: 'Académie',
  zone_emploi: 'Zone d’emploi',
  niveau: 'Niveau de formation',
  formation: 'Formation (CFD)',
} as const;
type Dimension = keyof typeof DIMENSIONS;

const NIVEAUX: Record<string, string> = {
  '3': 'Niveau 3 (CAP, BEP)',
  '4': 'Niveau 4 (bac pro, BP)',
  '5': 'Niveau 5 (BTS, DUT)',
  '6': 'Niveau 6 (licence, BUT)',
  '7': 'Niveau 7 (master, ingénieur)',
};

const FILTERS = ['region', 'departement', 'academie', 'niveau', 'domaine'] as const;
type Filter = (typeof FILTERS)[number];

/** Rows shown in a table at most (the downloads hold every row). */
const MAX_ROWS = 300;

interface State {
  date: string;
  filters: Partial<Record<Filter, string>>;
  indicateur: Counter;
  carte: 'departement' | 'region';
  tableau: Dimension;
  du: string;
  au: string;
  choisi: string | null;
}

type Indicateurs = Counts & { date: string };
type Ligne = Counts & { code: string | null; libelle: string | null };
interface Par {
  date: string;
  dimension: string;
  lignes: Ligne[];
  total: Counts;
}
interface Series {
  from: string;
  to: string;
  points: (Counts & { date: string })[];
}

/** Each section's answer: undefined while loading, an ApiFailure when refused. */
interface Data {
  now?: Indicateurs | ApiFailure;
  before?: Indicateurs | ApiFailure;
  carte?: Par | ApiFailure;
  series?: Series | ApiFailure;
  tableau?: Par | ApiFailure;
}

const isIso = (s: string | null): s is string => !!s && /^\d{4}-\d{2}-\d{2}$/.test(s);

function stateFromUrl(): State {
  const p = new URLSearchParams(location.search);
  const date = isIso(p.get('date')) ? p.get('date')! : platformToday();
  const filters: State['filters'] = {};
  for (const f of FILTERS) {
    const v = p.get(f);
    if (v) filters[f] = v;
  }
  const indicateur = (COUNTERS as readonly string[]).includes(p.get('indicateur') ?? '')
    ? (p.get('indicateur') as Counter)
    : 'apprenants';
  const tableau = (p.get('tableau') ?? '') in DIMENSIONS ? (p.get('tableau') as Dimension) : 'region';
  const au = isIso(p.get('au')) ? p.get('au')! : date;
  const du = isIso(p.get('du')) ? p.get('du')! : monthsBefore(au, 24);
  return {
    date,
    filters,
    indicateur,
    carte: p.get('carte') === 'region' ? 'region' : 'departement',
    tableau,
    du,
    au,
    choisi: p.get('choisi'),
  };
}

/** The URL of a state: only what differs from the defaults, so that shared links stay short. */
function urlOf(s: State): string {
  const today = platformToday();
  return (
    location.pathname +
    query({
      date: s.date !== today ? s.date : undefined,
      ...s.filters,
      indicateur: s.indicateur !== 'apprenants' ? s.indicateur : undefined,
      carte: s.carte !== 'departement' ? s.carte : undefined,
      tableau: s.tableau !== 'region' ? s.tableau : undefined,
      du: s.du !== monthsBefore(s.au, 24) ? s.du : undefined,
      au: s.au !== s.date ? s.au : undefined,
      choisi: s.choisi ?? undefined,
    })
  );
}

let state = stateFromUrl();
let data: Data = {};
let generation = 0;

const apiQuery = (s: State, extra: Record<string, string> = {}) => query({ ...extra, ...s.filters });

function load(): void {
  const s = state;
  const gen = ++generation;
  data = {};
  const keep =
    <K extends keyof Data>(k: K) =>
    (v: Data[K] | unknown) => {
      if (gen !== generation) return;
      data[k] = (
        v instanceof ApiFailure ? v : v instanceof Error ? new ApiFailure(0, 'ERREUR', v.message) : v
      ) as Data[K];
      refresh();
    };
  const fetch = <K extends keyof Data>(k: K, path: string) => getJson<Data[K]>(path).then(keep(k), keep(k));
  fetch('now', `/api/v1/indicateurs${apiQuery(s, { date: s.date })}`);
  fetch('before', `/api/v1/indicateurs${apiQuery(s, { date: yearsBefore(s.date, 1) })}`);
  fetch('carte', `/api/v1/indicateurs/par/${s.carte}${apiQuery(s, { date: s.date })}`);
  fetch(
    'series',
    `/api/v1/indicateurs/series${query({ from: s.du, to: s.au, pas: 'mois' })}${apiQuery(s).replace(/^\?/, '&')}`,
  );
  if (s.tableau !== s.carte)
    fetch('tableau', `/api/v1/indicateurs/par/${s.tableau}${apiQuery(s, { date: s.date })}`);
  refresh();
}

/** Moves to a new state: URL first (shareable), then the data. */
function go(next: State, opts: { reload?: boolean } = {}): void {
  state = next;
  history.pushState(null, '', urlOf(state));
  if (opts.reload === false) refresh();
  else load();
}

window.addEventListener('popstate', () => {
  state = stateFromUrl();
  load();
});

// ------------------------------------------------------------------------------------------------
// Sections

const loading = (what: string) => html`<p class="fr-text--sm" aria-live="polite">Chargement ${what}…</p>`;
const failed = (e: ApiFailure, what: string) =>
  alert('error', `${what} : ${e.message}${e.champ ? ` (champ ${e.champ})` : ''}.`, 'Données indisponibles');

function nomOf(dimension: string, r: { code: string | null; libelle: string | null }): string {
  if (r.code === null) return 'Non renseigné';
  if (dimension === 'niveau') return NIVEAUX[r.code] ?? `Niveau ${r.code}`;
  return r.libelle ? `${r.libelle} (${r.code})` : r.code;
}

function selectionText(s: State): string {
  const parts: string[] = [];
  const f = s.filters;
  if (f.region) parts.push(territoires.regions.find((r) => r.code === f.region)?.nom ?? `région ${f.region}`);
  if (f.departement)
    parts.push(
      territoires.departements.find((d) => d.code === f.departement)?.nom ?? `département ${f.departement}`,
    );
  if (f.academie)
    parts.push(`académie de ${territoires.academies.find((a) => a.code === f.academie)?.nom ?? f.academie}`);
  if (f.niveau) parts.push((NIVEAUX[f.niveau] ?? `niveau ${f.niveau}`).toLowerCase());
  if (f.domaine) parts.push(`domaine NSF ${f.domaine}`);
  return parts.length ? parts.join(', ') : 'France entière';
}

function filtersForm(s: State): TemplateResult {
  const submit = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const filters: State['filters'] = {};
    for (const f of FILTERS) {
      const v = String(form.get(f) ?? '').trim();
      if (v) filters[f] = v;
    }
    const date = String(form.get('date') ?? '');
    const nextDate = isIso(date) ? date : platformToday();
    go({ ...s, filters, date: nextDate, au: nextDate, du: monthsBefore(nextDate, 24), choisi: null });
  };
  const reset = () =>
    go({
      ...s,
      filters: {},
      date: platformToday(),
      au: platformToday(),
      du: monthsBefore(platformToday(), 24),
      choisi: null,
    });
  const select = (name: Filter, label: string, options: { code: string; nom: string }[]) =>
    html`<div class="fr-select-group">
      <label class="fr-label" for=${`filtre-${name}`}>${label}</label>
      <select class="fr-select" id=${`filtre-${name}`} name=${name}>
        <option value="" ?selected=${!s.filters[name]}>Toutes</option>
        ${options.map((o) => html`<option value=${o.code} ?selected=${s.filters[name] === o.code}>${o.nom}</option>`)}
      </select>
    </div>`;
  const deps = s.filters.region
    ? territoires.departements.filter((d) => d.region === s.filters.region)
    : territoires.departements;
  return html`<form class="fr-mb-4w" @submit=${submit} aria-labelledby="titre-filtres">
    <h2 class="fr-h5" id="titre-filtres">Filtrer</h2>
    <div class="tdb-filtres">
      <div class="fr-input-group">
        <label class="fr-label" for="filtre-date"
          >Date <span class="fr-hint-text">effectifs à ce jour</span></label
        >
        <input
          class="fr-input"
          type="date"
          id="filtre-date"
          name="date"
          .value=${s.date}
          min="2000-01-01"
          max="2100-12-31"
        />
      </div>
      ${select('region', 'Région', territoires.regions)}
      ${select(
        'departement',
        'Département',
        deps.map((d) => ({ code: d.code, nom: `${d.code} – ${d.nom}` })),
      )}
      ${select('academie', 'Académie', territoires.academies)}
      ${select(
        'niveau',
        'Niveau de formation',
        Object.entries(NIVEAUX).map(([code, nom]) => ({ code, nom })),
      )}
      <div class="fr-input-group">
        <label class="fr-label" for="filtre-domaine"
          >Domaine (NSF) <span class="fr-hint-text">3 chiffres, ex. 221</span></label
        >
        <input
          class="fr-input"
          id="filtre-domaine"
          name="domaine"
          inputmode="numeric"
          pattern="[0-9]{3}"
          maxlength="3"
          .value=${s.filters.domaine ?? ''}
        />
      </div>
    </div>
    <ul class="fr-btns-group fr-btns-group--inline-sm">
      <li><button class="fr-btn" type="submit">Appliquer</button></li>
      <li><button class="fr-btn fr-btn--secondary" type="button" @click=${reset}>Réinitialiser</button></li>
    </ul>
  </form>`;
}

function keyFigures(s: State, d: Data): TemplateResult {
  if (!d.now) return loading('des indicateurs');
  if (d.now instanceof ApiFailure) return failed(d.now, 'Indicateurs');
  const now = d.now;
  const before = d.before && !(d.before instanceof ApiFailure) ? d.before : null;
  return html`<ul class="tdb-chiffres" id="chiffres-cles">
    ${COUNTERS.map((k) => {
      const evo = before ? evolution(now[k], before[k]) : null;
      const sign = evo?.startsWith('+') ? 'tdb-hausse' : evo?.startsWith('-') ? 'tdb-baisse' : '';
      return html`<li class="tdb-chiffre" data-indicateur=${k}>
        <p class="tdb-chiffre__libelle">${COUNTER_LABELS[k]}</p>
        <p class="tdb-chiffre__valeur" data-valeur>${cell(now[k])}</p>
        <p class="tdb-chiffre__evolution">
          ${
            before
              ? evo
                ? html`<span class=${sign}>${evo}</span> en un an (${cell(before[k])} au ${jour(before.date)})`
                : html`il y a un an : ${cell(before[k])}`
              : d.before
                ? 'évolution indisponible'
                : 'évolution…'
          }
        </p>
        <p class="fr-text--xs fr-mb-0 fr-mt-1v">${COUNTER_HELP[k]}</p>
      </li>`;
    })}
  </ul>`;
}

function mapSection(s: State, d: Data): TemplateResult {
  const controls = html`<div class="tdb-filtres">
    <div class="fr-select-group">
      <label class="fr-label" for="carte-indicateur">Colorer par</label>
      <select
        class="fr-select"
        id="carte-indicateur"
        @change=${(e: Event) =>
          go({ ...s, indicateur: (e.target as HTMLSelectElement).value as Counter }, { reload: false })}
      >
        ${COUNTERS.map((k) => html`<option value=${k} ?selected=${s.indicateur === k}>${COUNTER_LABELS[k]}</option>`)}
      </select>
    </div>
    <div class="fr-select-group">
      <label class="fr-label" for="carte-niveau">Territoires</label>
      <select
        class="fr-select"
        id="carte-niveau"
        @change=${(e: Event) =>
          go({ ...s, carte: (e.target as HTMLSelectElement).value as State['carte'], choisi: null })}
      >
        <option value="departement" ?selected=${s.carte === 'departement'}>Départements</option>
        <option value="region" ?selected=${s.carte === 'region'}>Régions</option>
      </select>
    </div>
  </div>`;
  let body: TemplateResult;
  if (!d.carte) body = loading('de la carte');
  else if (d.carte instanceof ApiFailure) body = failed(d.carte, 'Carte');
  else {
    const par = d.carte;
    const values = new Map<string, MapValue>();
    for (const l of par.lignes)
      if (l.code) values.set(l.code, { code: l.code, nom: l.libelle ?? l.code, value: l[s.indicateur] });
    const chosen = s.choisi ? par.lignes.find((l) => l.code === s.choisi) : undefined;
    const filterKey = s.carte;
    body = html`<div class="tdb-carte" id="carte" data-niveau=${s.carte}>
      ${franceMap({
        niveau: s.carte,
        values,
        indicateurLabel: COUNTER_LABELS[s.indicateur],
        selected: s.choisi,
        onSelect: (code) => go({ ...s, choisi: code }, { reload: false }),
      })}
      <div id="carte-detail" aria-live="polite">
        ${
          chosen
            ? html`<h3 class="fr-h5">${nomOf(s.carte, chosen)}</h3>
                <dl class="fr-mb-2w">
                  ${COUNTERS.map(
                    (k) =>
                      html`<div class="fr-grid-row fr-grid-row--gutters">
                        <dt class="fr-col-7">${COUNTER_LABELS[k]}</dt>
                        <dd class="fr-col-5 tdb-nombre fr-m-0">${cell(chosen[k])}</dd>
                      </div>`,
                  )}
                </dl>
                <button
                  class="fr-btn fr-btn--secondary fr-btn--sm"
                  type="button"
                  @click=${() =>
                    go({
                      ...s,
                      filters: {
                        ...s.filters,
                        region: undefined,
                        departement: undefined,
                        academie: undefined,
                        [filterKey]: chosen.code!,
                      },
                      choisi: null,
                    })}
                >
                  Filtrer sur ${filterKey === 'departement' ? 'ce département' : 'cette région'}
                </button>`
            : html`<p>
                Choisissez un territoire sur la carte (clic, ou touche Tab puis Entrée) pour afficher ses
                chiffres. Les chiffres de chaque territoire sont aussi dans le tableau «
                ${DIMENSIONS[s.carte]} » ci-dessous.
              </p>`
        }
      </div>
    </div>`;
  }
  return html`<section class="fr-mb-6w" aria-labelledby="titre-carte">
    <h2 class="fr-h4" id="titre-carte">Carte au ${jour(s.date)}</h2>
    ${controls}${body}
  </section>`;
}

function seriesSection(s: State, d: Data): TemplateResult {
  const period = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const du = String(form.get('du'));
    const au = String(form.get('au'));
    if (isIso(du) && isIso(au)) go({ ...s, du, au });
  };
  let body: TemplateResult;
  if (!d.series) body = loading('des séries');
  else if (d.series instanceof ApiFailure) body = failed(d.series, 'Séries');
  else {
    const pts = d.series.points;
    const columns: Column<Counts & { date: string }>[] = [
      { label: 'Mois', value: (p) => jour(p.date) },
      ...counterColumns<Counts & { date: string }>(),
    ];
    body = html`<div
        class="tdb-graphique"
        id="graphique-series"
        role="img"
        aria-label=${`Évolution mensuelle des cinq indicateurs du ${jour(d.series.from)} au ${jour(d.series.to)} ; les valeurs sont dans le tableau qui suit`}
      ></div>
      <details class="fr-mt-2w" id="series-donnees">
        <summary>Voir les données du graphique (${pts.length} mois)</summary>
        ${table({ id: 'table-series', caption: `Effectifs mensuels, ${selectionText(s)}`, columns, rows: pts, rowHeader: true })}
      </details>`;
  }
  return html`<section class="fr-mb-6w" aria-labelledby="titre-series">
    <h2 class="fr-h4" id="titre-series">Évolution mois par mois</h2>
    <form class="tdb-filtres" @submit=${period} aria-label="Période des séries">
      <div class="fr-input-group">
        <label class="fr-label" for="series-du">Du</label>
        <input
          class="fr-input"
          type="date"
          id="series-du"
          name="du"
          .value=${s.du}
          min="2000-01-01"
          max="2100-12-31"
        />
      </div>
      <div class="fr-input-group">
        <label class="fr-label" for="series-au">Au</label>
        <input
          class="fr-input"
          type="date"
          id="series-au"
          name="au"
          .value=${s.au}
          min="2000-01-01"
          max="2100-12-31"
        />
      </div>
      <div class="fr-input-group">
        <button class="fr-btn fr-btn--secondary" type="submit">Afficher la période</button>
      </div>
    </form>
    ${body}
  </section>`;
}

function tableSection(s: State, d: Data): TemplateResult {
  const src = s.tableau === s.carte ? d.carte : d.tableau;
  const download = (format: 'csv' | 'xlsx') =>
    `/api/v1/indicateurs/par/${s.tableau}${apiQuery(s, { date: s.date, format })}`;
  const chooser = html`<div class="fr-select-group">
    <label class="fr-label" for="tableau-dimension">Tableau par</label>
    <select
      class="fr-select"
      id="tableau-dimension"
      @change=${(e: Event) => go({ ...s, tableau: (e.target as HTMLSelectElement).value as Dimension })}
    >
      ${Object.entries(DIMENSIONS).map(([k, label]) => html`<option value=${k} ?selected=${s.tableau === k}>${label}</option>`)}
    </select>
  </div>`;
  let body: TemplateResult;
  if (!src) body = loading('du tableau');
  else if (src instanceof ApiFailure) body = failed(src, 'Tableau');
  else {
    const rows = src.lignes.slice(0, MAX_ROWS);
    const columns: Column<Ligne>[] = [
      { label: DIMENSIONS[s.tableau], value: (r) => (r.code === 'total' ? 'Total' : nomOf(s.tableau, r)) },
      ...counterColumns<Ligne>(),
    ];
    body = html`${table({
      id: 'tableau-indicateurs',
      caption: `Effectifs par ${DIMENSIONS[s.tableau].toLowerCase()} au ${jour(s.date)}, ${selectionText(s)}`,
      columns,
      rows,
      total: { code: 'total', libelle: null, ...src.total },
      rowHeader: true,
      empty: 'Aucun apprenant pour cette sélection.',
    })}
    ${
      src.lignes.length > MAX_ROWS
        ? html`<p class="fr-text--sm">
            ${MAX_ROWS} premières lignes sur ${src.lignes.length} : les fichiers à télécharger les contiennent
            toutes.
          </p>`
        : nothing
    }`;
  }
  return html`<section class="fr-mb-6w" aria-labelledby="titre-tableaux">
    <h2 class="fr-h4" id="titre-tableaux">Tableaux détaillés</h2>
    <div class="tdb-filtres">${chooser}</div>
    <ul class="fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left">
      <li>
        <a
          class="fr-btn fr-btn--tertiary fr-icon-download-line"
          id="telecharger-csv"
          href=${download('csv')}
          download
          >Télécharger le tableau (CSV)</a
        >
      </li>
      <li>
        <a
          class="fr-btn fr-btn--tertiary fr-icon-download-line"
          id="telecharger-xlsx"
          href=${download('xlsx')}
          download
          >Télécharger le tableau (XLSX)</a
        >
      </li>
    </ul>
    ${body}
  </section>`;
}

const secrecyNotice = html`<div class="fr-callout fr-mb-4w" id="secret-statistique">
  <h2 class="fr-callout__title fr-h6">Secret statistique : « n.d. »</h2>
  <p class="fr-callout__text fr-text--sm">
    Pour qu’aucun jeune ne puisse être reconnu, un effectif de 1 à 4 n’est pas diffusé (« n.d. », non
    diffusé), et d’autres cases sont masquées quand elles permettraient de le recalculer à partir des totaux.
    Les cases masquées restent vides dans les fichiers téléchargés.
  </p>
</div>`;

function refresh(): void {
  const s = state;
  const d = data;
  const ready =
    d.now !== undefined &&
    d.before !== undefined &&
    d.carte !== undefined &&
    d.series !== undefined &&
    (s.tableau === s.carte || d.tableau !== undefined);
  show(
    html`<p class="fr-text--lead">
        Effectifs de l’apprentissage au <strong>${jour(s.date)}</strong> : ${selectionText(s)}.
      </p>
      ${filtersForm(s)} ${keyFigures(s, d)} ${secrecyNotice} ${mapSection(s, d)} ${seriesSection(s, d)}
      ${tableSection(s, d)}`,
    ready ? 'pret' : 'chargement',
  );
  if (d.series && !(d.series instanceof ApiFailure)) {
    const el = document.getElementById('graphique-series');
    if (el) {
      const pts = d.series.points;
      void charts.then(({ drawChart }) =>
        drawChart(
          el,
          'line',
          pts.map((p) => mois(p.date)),
          COUNTERS.map((k) => ({ name: COUNTER_LABELS[k], values: pts.map((p) => p[k]) })),
          `Effectifs mensuels, ${selectionText(s)}.`,
        ),
      );
    }
  }
}

load();
