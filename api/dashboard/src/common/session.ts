/**
 * Signing in with the read API's token (`tdb tokens create --role … --scope …`, api/auth/tokens.ts):
 * the token is pasted into a form, kept in sessionStorage (gone when the tab closes), and sent as
 * `Authorization: Bearer` on every call. Its claims are read here only to say whom it is for and to
 * choose the page's scope; the API verifies it on every request, and its 401 message (expired,
 * bad signature…) is what the page shows.
 */
import { html, nothing, type TemplateResult } from 'lit-html';
import { ApiFailure } from './api';

export interface Session {
  token: string;
  role: string;
  scope: string[];
  sub: string;
  /** Expiry, epoch seconds. */
  exp: number;
}

/** One token per page (an operator may hold a CFA token and an administrator one). */
const keyOf = (page: string) => `tdb.jeton.${page}`;

export const ROLE_LABELS: Record<string, string> = {
  cfa: 'organisme de formation (CFA)',
  mission_locale: 'Mission Locale',
  dreets: 'DREETS (région)',
  ddets: 'DDETS (département)',
  academie: 'académie',
  admin: 'administrateur',
};

/** The claims of a JWT, or a French reason why the text is not one. */
export function readToken(text: string): Session | string {
  const token = text.trim().replace(/^Bearer\s+/i, '');
  const parts = token.split('.');
  if (parts.length !== 3)
    return 'ce texte n’est pas un jeton d’accès (trois parties séparées par des points attendues)';
  try {
    const json = atob(parts[1]!.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as Partial<Session>;
    if (typeof claims.role !== 'string') return 'ce jeton n’indique pas de rôle';
    return {
      token,
      role: claims.role,
      scope: Array.isArray(claims.scope) ? claims.scope.map(String) : [],
      sub: String(claims.sub ?? ''),
      exp: Number(claims.exp ?? 0),
    };
  } catch {
    return 'ce jeton est illisible (copiez-le en entier, sans espace ni retour à la ligne)';
  }
}

export function loadSession(page: string): Session | null {
  const t = sessionStorage.getItem(keyOf(page));
  if (!t) return null;
  const s = readToken(t);
  return typeof s === 'string' ? null : s;
}

export function saveSession(page: string, s: Session): void {
  sessionStorage.setItem(keyOf(page), s.token);
}

export function clearSession(page: string): void {
  sessionStorage.removeItem(keyOf(page));
}

/** Why a signed-in call was refused, in words a user can act on (401/403 keep the API's message). */
export function refusal(err: unknown): string {
  if (err instanceof ApiFailure) {
    if (err.status === 401)
      return `Votre jeton n’est pas accepté par la plateforme : ${err.message}. Demandez un nouveau jeton à l’administrateur du tableau de bord, puis connectez-vous à nouveau.`;
    if (err.status === 403) return `Accès refusé : ${err.message}.`;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

export interface SignInOptions {
  /** The page (sessionStorage key). */
  page: string;
  /** Roles this page is for. */
  roles: readonly string[];
  /** What the page shows once signed in (one sentence). */
  purpose: string;
  /** An error to show (previous attempt refused, token expired). */
  error?: string | null;
  onSession(s: Session): void;
}

/** The sign-in form. */
export function signInForm(o: SignInOptions): TemplateResult {
  const submit = (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const text = (form.elements.namedItem('jeton') as HTMLInputElement).value;
    // A new attempt: the previous refusal no longer applies.
    form.querySelector('.fr-alert--error')?.remove();
    const s = readToken(text);
    const fail = (msg: string) => {
      const out = form.querySelector('#jeton-erreur') as HTMLElement;
      out.textContent = msg;
      form.querySelector('.fr-input-group')!.classList.add('fr-input-group--error');
      (form.elements.namedItem('jeton') as HTMLElement).focus();
    };
    if (typeof s === 'string') return fail(`Jeton refusé : ${s}.`);
    if (!o.roles.includes(s.role))
      return fail(
        `Ce jeton est celui du rôle « ${ROLE_LABELS[s.role] ?? s.role} » ; cette page demande un jeton ${o.roles.map((r) => `« ${ROLE_LABELS[r] ?? r} »`).join(' ou ')}.`,
      );
    // Expiry is the API's to judge, by the platform's clock (which may differ from this browser's).
    saveSession(o.page, s);
    o.onSession(s);
  };
  return html`<div class="fr-grid-row">
    <div class="fr-col-12 fr-col-md-8 fr-col-lg-6">
      <p>${o.purpose}</p>
      <form @submit=${submit} novalidate aria-labelledby="titre-connexion">
        <h2 class="fr-h4" id="titre-connexion">Connexion</h2>
        ${
          o.error
            ? html`<div class="fr-alert fr-alert--error fr-mb-3w" role="alert"><p>${o.error}</p></div>`
            : nothing
        }
        <div class="fr-input-group">
          <label class="fr-label" for="jeton"
            >Jeton d’accès
            <span class="fr-hint-text"
              >Remis par l’administrateur du tableau de bord (commande
              <code>tdb tokens create --role ${o.roles[0]} --scope …</code>). Il reste dans cet onglet et
              disparaît à sa fermeture.</span
            ></label
          >
          <input
            class="fr-input"
            type="password"
            id="jeton"
            name="jeton"
            required
            autocomplete="off"
            spellcheck="false"
            aria-describedby="jeton-erreur"
          />
          <p id="jeton-erreur" class="fr-error-text" aria-live="polite"></p>
        </div>
        <button class="fr-btn" type="submit">Se connecter</button>
      </form>
    </div>
  </div>`;
}

/** "Connecté : … — Se déconnecter". */
export function sessionBar(page: string, s: Session, onSignOut: () => void): TemplateResult {
  const until = s.exp ? new Date(s.exp * 1000).toLocaleDateString('fr-FR') : null;
  return html`<div class="fr-notice fr-notice--info fr-mb-3w">
    <div class="fr-container">
      <div class="fr-notice__body tdb-actions">
        <p class="fr-notice__title">
          Connecté :
          ${ROLE_LABELS[s.role] ?? s.role}${s.scope.length ? ` ${s.scope.join(', ')}` : ''}${s.sub ? ` (${s.sub})` : ''}${until ? `, jeton valable jusqu’au ${until}` : ''}.
        </p>
        <button
          class="fr-btn fr-btn--sm fr-btn--tertiary"
          type="button"
          @click=${() => {
            clearSession(page);
            onSignOut();
          }}
        >
          Se déconnecter
        </button>
      </div>
    </div>
  </div>`;
}
