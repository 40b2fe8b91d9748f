/**
 * A local stand-in for a Yparéo server's JSON export of learners (GET /export/apprenants), for the
 * tests and the demo: it serves an export built from simulated records (simulation/vendors.ts),
 * optionally behind a bearer token. The export can be replaced while running (`setDossiers`) to
 * simulate what changed at the CFA between two polls.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DossierV3 } from '../simulation/dossiers';
import { ypareoExportOf } from '../simulation/vendors';

export const EXPORT_PATH = '/export/apprenants';

export interface FakeYpareo {
  /** URL of the export. */
  url: string;
  setDossiers(dossiers: readonly DossierV3[]): void;
  /** Number of export requests served. */
  readonly served: number;
  close(): Promise<void>;
}

export async function startFakeYpareo(opts: {
  dossiers: readonly DossierV3[];
  port?: number;
  host?: string;
  token?: string;
}): Promise<FakeYpareo> {
  let body = JSON.stringify(ypareoExportOf(opts.dossiers));
  let served = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' || url.pathname !== EXPORT_PATH) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
      return;
    }
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"unauthorized"}');
      return;
    }
    served++;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}${EXPORT_PATH}`,
    setDossiers(dossiers) {
      body = JSON.stringify(ypareoExportOf(dossiers));
    },
    get served() {
      return served;
    },
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
