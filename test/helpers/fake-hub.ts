/**
 * A model hub on a loopback port, laid out as the endpoints @huggingface/hub calls (read from its source,
 * dist/chunk-*.mjs): modelInfo's `GET /api/models/<repo>/revision/<rev>` (its `sha`), listFiles'
 * `GET /api/models/<repo>/tree/<rev>?recursive=true` (path, size, oid and, for LFS files, lfs.oid = the sha256), and
 * `GET /<repo>/resolve/<rev>/<file>` (fileDownloadInfo's `Range: bytes=0-0` probe, answered 206 with the size in
 * Content-Range and the ETag / X-Linked-Etag, then the whole file). It serves the files of local folders, counts
 * requests, and can serve one file with a byte flipped (the listing keeps the true sha256).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';

export const FAKE_COMMIT = '0123456789abcdef0123456789abcdef01234567';

function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((p) => statSync(join(dir, p)).isFile())
    .map((p) => relative(dir, join(dir, p)).split(sep).join('/'))
    .sort();
}

const isLfs = (path: string) => /\.(onnx|onnx_data|bin|safetensors)$/.test(path);

export interface FakeHub {
  url: string;
  /** Every request's method and path, in order. */
  requests: string[];
  /** Serves this file of every repo with its first byte changed. */
  corrupt?: string;
  close(): Promise<void>;
}

/** Starts the hub serving `repos` (repo id -> local folder) at revision main = FAKE_COMMIT. */
export async function startFakeHub(repos: Record<string, string>): Promise<FakeHub> {
  const hub: FakeHub = { url: '', requests: [], close: async () => undefined };
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    hub.requests.push(`${req.method} ${url.pathname}`);
    const path = decodeURIComponent(url.pathname);
    const repoOf = (org: string, name: string) => repos[`${org}/${name}`];
    let m = /^\/api\/models\/([^/]+)\/([^/]+)\/revision\/([^/]+)$/.exec(path);
    if (m) {
      if (!repoOf(m[1]!, m[2]!) || (m[3] !== 'main' && m[3] !== FAKE_COMMIT))
        return json(res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
      return json(res, 200, { _id: 'fake', id: `${m[1]}/${m[2]}`, sha: FAKE_COMMIT, private: false });
    }
    m = /^\/api\/models\/([^/]+)\/([^/]+)\/tree\/([^/]+)$/.exec(path);
    if (m) {
      const dir = repoOf(m[1]!, m[2]!);
      if (!dir || m[3] !== FAKE_COMMIT) return json(res, 404, { error: 'Revision not found' });
      const entries = filesOf(dir).map((p) => {
        const bytes = readFileSync(join(dir, p));
        const gitOid = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        return {
          type: 'file',
          path: p,
          size: bytes.length,
          oid: gitOid,
          ...(isLfs(p) ? { lfs: { oid: sha256, size: bytes.length, pointerSize: 130 } } : {}),
        };
      });
      const dirs = [...new Set(entries.flatMap((e) => (e.path.includes('/') ? [e.path.split('/')[0]!] : [])))];
      return json(res, 200, [...dirs.map((d) => ({ type: 'directory', path: d, size: 0, oid: 'tree' })), ...entries]);
    }
    m = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const dir = m ? repoOf(m[1]!, m[2]!) : undefined;
    if (!m || !dir || (m[3] !== 'main' && m[3] !== FAKE_COMMIT))
      return json(res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
    const file = m[4]!;
    if (!filesOf(dir).includes(file))
      return json(res, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
    const bytes = Buffer.from(readFileSync(join(dir, file)));
    const etag = isLfs(file)
      ? createHash('sha256').update(bytes).digest('hex')
      : createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    if (hub.corrupt === file) bytes[0] = bytes[0]! ^ 0xff;
    const headers = { ETag: `"${etag}"`, ...(isLfs(file) ? { 'X-Linked-Etag': `"${etag}"` } : {}) };
    if (req.headers.range === 'bytes=0-0') {
      res.writeHead(206, { ...headers, 'Content-Range': `bytes 0-0/${bytes.length}`, 'Content-Length': '1' });
      return res.end(bytes.subarray(0, 1));
    }
    res.writeHead(200, { ...headers, 'Content-Length': String(bytes.length) });
    res.end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  hub.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return hub;
}
