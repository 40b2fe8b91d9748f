/**
 * The operator page (dreets, ddets, academie, admin tokens): the training organisations of the
 * token's territory that transmit, that stopped transmitting (since when), or that are not
 * reliable (UAI–SIRET pair not in the referential), with the counts per département, from
 * GET /api/v1/organismes/transmissions (api/organismes/territoire.ts). The threshold of days without
 * a batch and the state shown are in the URL.
 */
import { html, nothing, type TemplateResult } from 'lit-html';
import { ApiFailure, downloadWithToken, getJson, query } from '../common/api';
import { instant, jour, nombre } from '../common/format';
import { show } from '../common/page';
import { loadSession, refusal, sessionBar, signInForm, type Session } from '../common/session';
import { alert, table, type Column } from '../common/table';

const PAGE = 'operateur';

type Etat = 'transmet' | 'arrete' | 'non_fiable';
interface Compte {
  transmettent: number;
  arretes: number;
  non_fiables: number;
  jamais: number;
}
interface Organisme {
  uai: string;
  siret: string;
  nom: string | null;
  departement: string | null;
  etat: Etat;
  derniere_transmission: string;
  jours_sans_transmission: number;
  lots: number;
  recus: number;
  rejetes: number;
}
interface Reponse {
  date: string;
  seuil_jours: number;
  par_departement: (Compte & { departement: string; libelle: string | null })[];
  total: Compte;
  organismes: Organisme[];
}

const ETATS: Record<Etat, { label: string; badge: string }> = {
  transmet: { label: 'Transmet', badge: 'fr-badge--success' },
  arrete: { label: 'A cessé de transmettre', badge: 'fr-badge--warning' },
  non_fiable: { label: 'Non fiable', badge: 'fr-badge--error' },
};
const SEUILS = [7, 15, 30, 60];

/** Organisations listed per page (an admin sees thousands). */
const PAR_PAGE = 100;

interface View {
  session: Session;
  seuil: number;
  etat: Etat | '';
  page: number;
  data?: Reponse | ApiFailure;
}
let view: View | null = null;

function start(session: Session): void {
  const p = new URLSearchParams(location.search);
  const seuil = SEUILS.includes(Number(p.get('seuil_jours'))) ? Number(p.get('seuil_jours')) : 7;
  const etat = (['transmet', 'arrete', 'non_fiable'] as const).find((e) => e === p.get('etat')) ?? '';
  view = { session, seuil, etat, page: 1 };
  load();
}

function load(): void {
  const v = view!;
  v.data = undefined;
  render();
  getJson<Reponse>(
    `/api/v1/organismes/transmissions${query({ seuil_jours: v.seuil })}`,
    v.session.token,
  ).then(
    (d) => {
      if (view !== v) return;
      v.data = d;
      render();
    },
    (e: ApiFailure) => {
      if (view !== v) return;
      if (e.status === 401) return signIn(refusal(e));
      v.data = e;
      render();
    },
  );
}

function setUrl(v: View): void {
  history.replaceState(
    null,
    '',
    query({ seuil_jours: v.seuil !== 7 ? v.seuil : undefined, etat: v.etat || undefined }),
  );
}

const tile = (label: string, n: number, help: string) =>
  html`<li class="tdb-chiffre">
    <p class="tdb-chiffre__libelle">${label}</p>
    <p class="tdb-chiffre__valeur">${nombre(n)}</p>
    <p class="tdb-chiffre__evolution">${help}</p>
  </li>`;

function content(v: View, d: Reponse): TemplateResult {
  const depColumns: Column<Reponse['par_departement'][number]>[] = [
    {
      label: 'Département',
      value: (r) => (r.departement ? `${r.departement}${r.libelle ? ` – ${r.libelle}` : ''}` : 'Inconnu'),
    },
    { label: 'Transmettent', numeric: true, value: (r) => nombre(r.transmettent) },
    { label: 'Ont cessé', numeric: true, value: (r) => nombre(r.arretes) },
    { label: 'Non fiables', numeric: true, value: (r) => nombre(r.non_fiables) },
    { label: 'N’ont jamais transmis', numeric: true, value: (r) => nombre(r.jamais) },
  ];
  const shown = v.etat ? d.organismes.filter((o) => o.etat === v.etat) : d.organismes;
  // Most urgent first: stopped the longest ago, then not reliable, then the others.
  const rank: Record<Etat, number> = { arrete: 0, non_fiable: 1, transmet: 2 };
  const sorted = [...shown].sort(
    (a, b) =>
      rank[a.etat] - rank[b.etat] ||
      b.jours_sans_transmission - a.jours_sans_transmission ||
      a.uai.localeCompare(b.uai),
  );
  const pages = Math.max(1, Math.ceil(sorted.length / PAR_PAGE));
  const page = Math.min(v.page, pages);
  const goTo = (n: number) => () => {
    v.page = n;
    render();
    document.getElementById('titre-organismes')?.scrollIntoView();
  };
  const orgColumns: Column<Organisme>[] = [
    {
      label: 'Organisme',
      value: (o) =>
        html`${o.nom ?? 'Organisme inconnu du référentiel'}<br /><span class="fr-text--xs"
            >UAI ${o.uai} · SIRET ${o.siret}</span
          >`,
    },
    { label: 'Département', value: (o) => o.departement ?? '—' },
    {
      label: 'État',
      value: (o) =>
        html`<p class=${`fr-badge fr-badge--sm ${ETATS[o.etat].badge}`}>${ETATS[o.etat].label}</p>`,
    },
    {
      label: 'Dernier envoi',
      value: (o) =>
        html`${instant(o.derniere_transmission)}${
          o.jours_sans_transmission > 0
            ? html`<br /><span class="fr-text--xs"
                  >il y a ${o.jours_sans_transmission} jour${o.jours_sans_transmission > 1 ? 's' : ''}</span
                >`
            : nothing
        }`,
    },
    { label: 'Envois', numeric: true, value: (o) => nombre(o.lots) },
    { label: 'Dossiers reçus', numeric: true, value: (o) => nombre(o.recus) },
    { label: 'Refusés', numeric: true, value: (o) => nombre(o.rejetes) },
  ];
  return html`<ul class="tdb-chiffres" id="chiffres-cles">
      ${tile('Transmettent', d.total.transmettent, `un envoi dans les ${d.seuil_jours} derniers jours`)}
      ${tile('Ont cessé de transmettre', d.total.arretes, `aucun envoi depuis plus de ${d.seuil_jours} jours`)}
      ${tile('Non fiables', d.total.non_fiables, 'couple UAI–SIRET inconnu du référentiel : apprenants non comptés')}
      ${tile('N’ont jamais transmis', d.total.jamais, 'organismes du référentiel sans aucun envoi')}
    </ul>
    <section class="fr-mb-6w" aria-labelledby="titre-departements">
      <h2 class="fr-h4" id="titre-departements">Par département</h2>
      ${table({ id: 'departements', caption: `Organismes par département au ${jour(d.date)}`, columns: depColumns, rows: d.par_departement, total: { departement: 'Total', libelle: null, ...d.total }, rowHeader: true, empty: 'Aucun organisme dans ce périmètre.' })}
    </section>
    <section class="fr-mb-6w" aria-labelledby="titre-organismes">
      <h2 class="fr-h4" id="titre-organismes">Organismes ayant transmis</h2>
      <div class="tdb-filtres">
        <div class="fr-select-group">
          <label class="fr-label" for="choix-etat">État</label>
          <select
            class="fr-select"
            id="choix-etat"
            @change=${(e: Event) => {
              v.etat = (e.target as HTMLSelectElement).value as View['etat'];
              setUrl(v);
              render();
            }}
          >
            <option value="" ?selected=${v.etat === ''}>Tous</option>
            ${(Object.keys(ETATS) as Etat[]).map((k) => html`<option value=${k} ?selected=${v.etat === k}>${ETATS[k].label}</option>`)}
          </select>
        </div>
        <div class="fr-input-group">
          <button
            class="fr-btn fr-btn--tertiary fr-icon-download-line fr-btn--icon-left"
            type="button"
            @click=${() =>
              downloadWithToken(
                `/api/v1/organismes/transmissions${query({ seuil_jours: v.seuil, etat: v.etat || undefined, format: 'csv' })}`,
                v.session.token,
                'organismes.csv',
              ).catch((err) => window.alert(refusal(err)))}
          >
            Télécharger la liste (CSV)
          </button>
        </div>
      </div>
      ${table({
        id: 'organismes',
        caption: `${nombre(sorted.length)} organisme${sorted.length > 1 ? 's' : ''}, ceux qui ont cessé de transmettre d’abord${pages > 1 ? ` — page ${page} sur ${pages}` : ''}`,
        columns: orgColumns,
        rows: sorted.slice((page - 1) * PAR_PAGE, page * PAR_PAGE),
        rowHeader: true,
        multiline: true,
        empty: 'Aucun organisme dans cet état.',
      })}
      ${
        pages > 1
          ? html`<nav role="navigation" class="fr-pagination" aria-label="Pages de la liste des organismes">
              <ul class="fr-pagination__list">
                <li>
                  <button
                    class="fr-pagination__link fr-pagination__link--prev fr-pagination__link--lg-label"
                    type="button"
                    ?disabled=${page <= 1}
                    @click=${goTo(page - 1)}
                  >
                    Page précédente
                  </button>
                </li>
                <li><span class="fr-pagination__link" aria-current="page">${page} / ${pages}</span></li>
                <li>
                  <button
                    class="fr-pagination__link fr-pagination__link--next fr-pagination__link--lg-label"
                    type="button"
                    ?disabled=${page >= pages}
                    @click=${goTo(page + 1)}
                  >
                    Page suivante
                  </button>
                </li>
              </ul>
            </nav>`
          : nothing
      }
    </section>`;
}

function render(): void {
  const v = view;
  if (!v) return;
  const seuil = html`<div class="tdb-filtres">
    <div class="fr-select-group">
      <label class="fr-label" for="choix-seuil"
        >A cessé de transmettre après <span class="fr-hint-text">jours sans aucun envoi</span></label
      >
      <select
        class="fr-select"
        id="choix-seuil"
        @change=${(e: Event) => {
          v.seuil = Number((e.target as HTMLSelectElement).value);
          setUrl(v);
          load();
        }}
      >
        ${SEUILS.map((s) => html`<option value=${s} ?selected=${v.seuil === s}>${s} jours</option>`)}
      </select>
    </div>
  </div>`;
  const body =
    v.data === undefined
      ? html`<p>Chargement des organismes…</p>`
      : v.data instanceof ApiFailure
        ? alert('error', refusal(v.data), 'Données indisponibles')
        : content(v, v.data);
  show(
    html`${sessionBar(PAGE, v.session, () => signIn())}${seuil}${body}`,
    v.data === undefined ? 'chargement' : 'pret',
  );
}

function signIn(error?: string | null): void {
  view = null;
  show(
    signInForm({
      page: PAGE,
      roles: ['dreets', 'ddets', 'academie', 'admin'],
      purpose:
        'Les organismes de formation de votre territoire : ceux qui transmettent leurs données, ceux qui ont cessé de le faire (et depuis quand), ceux dont les données ne sont pas fiables, département par département. Connectez-vous avec le jeton de votre service (DREETS, DDETS, académie).',
      error,
      onSession: (s) => start(s),
    }),
  );
}

const existing = loadSession(PAGE);
if (existing) start(existing);
else signIn();
