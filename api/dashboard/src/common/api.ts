/**
 * The read API as the pages call it: same origin, JSON, the bearer token when signed in. Errors
 * keep the API's body (`{statusCode, code, champ, message}`, api/errors.ts): its French message is
 * what the page shows, so that a refusal is explained in the API's own words.
 */

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly champ?: string,
  ) {
    super(message);
  }
}

const headersOf = (token?: string, extra: Record<string, string> = {}): Record<string, string> =>
  token ? { ...extra, authorization: `Bearer ${token}` } : extra;

async function failureOf(res: Response): Promise<ApiFailure> {
  try {
    const body = (await res.json()) as { code?: string; message?: string; champ?: string };
    return new ApiFailure(res.status, body.code ?? 'ERREUR', body.message ?? res.statusText, body.champ);
  } catch {
    return new ApiFailure(res.status, 'ERREUR', `le serveur a répondu ${res.status} ${res.statusText}`);
  }
}

async function call(url: string, init: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch {
    throw new ApiFailure(0, 'RESEAU', 'le serveur ne répond pas : vérifiez votre connexion et réessayez');
  }
  if (!res.ok) throw await failureOf(res);
  return res;
}

/** GET a JSON answer of the API. */
export async function getJson<T>(path: string, token?: string, signal?: AbortSignal): Promise<T> {
  const res = await call(path, { headers: headersOf(token, { accept: 'application/json' }), signal });
  return (await res.json()) as T;
}

/** PATCH/POST a JSON body, returns the JSON answer. */
export async function sendJson<T>(method: string, path: string, body: unknown, token?: string): Promise<T> {
  const res = await call(path, {
    method,
    headers: headersOf(token, { 'content-type': 'application/json', accept: 'application/json' }),
    body: JSON.stringify(body),
  });
  return (await res.json()) as T;
}

/**
 * Downloads a file of the API that needs the token (a plain link cannot send the Authorization
 * header): fetched, then saved under the name the API gives (Content-Disposition).
 */
export async function downloadWithToken(path: string, token: string, fallbackName: string): Promise<void> {
  const res = await call(path, { headers: headersOf(token) });
  const disposition = res.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A query string from the defined values, in the given order (shared links stay readable). */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
