import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createReadStream } from 'node:fs';
import type { AddressInfo } from 'node:net';

export const FIXTURE_BUILDPACKS = new URL('../../../fixtures/buildpacks/', import.meta.url).pathname;

export { rejects } from '../../helpers/assert.js';

/** A .tgz of a fixture buildpack with one nested top directory, as release tarballs are. */
export function packTgz(name: string, out: string): string {
  execFileSync('tar', ['-czf', out, '-C', FIXTURE_BUILDPACKS, name]);
  return out;
}

/** A .zip of a fixture buildpack, contents at the top (cf create-buildpack style). */
export function packZip(name: string, out: string): string {
  execFileSync('zip', ['-qr', out, '.'], { cwd: `${FIXTURE_BUILDPACKS}${name}` });
  return out;
}

/** Serve files on 127.0.0.1: path → file; counts requests so tests can see the cache work. */
export async function serveFiles(files: Record<string, string>): Promise<{ base: string; hits: Record<string, number>; server: Server }> {
  const hits: Record<string, number> = {};
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    hits[path] = (hits[path] ?? 0) + 1;
    const file = files[path];
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, hits, server };
}
