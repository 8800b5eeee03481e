import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { execa, type ResultPromise } from 'execa';
import * as tar from 'tar-stream';
import type { HomePaths } from '../../../src/home.js';
import { buildStack, type StackInfo } from '../../../src/stack/index.js';

/**
 * A droplet as staging writes it (./app, ./deps, ./profile.d, ./staging_info.yml, ./tmp, ./logs),
 * made here with tar-stream so the test does not depend on staging. `bigBytes` adds an
 * incompressible file to make a large droplet.
 */
export async function makeDroplet(path: string, options: { startCommand: string; marker?: string; bigBytes?: number }): Promise<string> {
  const pack = tar.pack();
  const writing = pipeline(pack, createGzip(), createWriteStream(path));
  const dir = (name: string) => pack.entry({ name, type: 'directory', mode: 0o755 });
  const file = (name: string, body: string | Buffer, mode = 0o644) => pack.entry({ name, type: 'file', mode }, body);
  dir('./');
  dir('./app/');
  dir('./app/.profile.d/');
  file('./app/.profile.d/greeting.sh', 'export GREETING="hello from .profile.d"\n');
  file('./app/index.txt', `${options.marker ?? 'droplet'}\n`);
  if (options.bigBytes) file('./app/big.bin', randomBytes(options.bigBytes));
  dir('./deps/');
  dir('./deps/0/');
  file('./deps/0/config.yml', 'name: test\n');
  dir('./logs/');
  dir('./profile.d/');
  file('./profile.d/0000_deps.sh', 'export FROM_DEPS=yes\n');
  file('./staging_info.yml', JSON.stringify({ detected_buildpack: 'test-buildpack', start_command: options.startCommand }));
  dir('./tmp/');
  pack.finalize();
  await writing;
  return path;
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `dropship-${prefix}-`));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface TestRegistry {
  host: string;
  dataDir: string;
  stop: () => Promise<void>;
}

/** Debian's docker-registry on 127.0.0.1, a free port, storage in a temp dir; stop() kills it by pid. */
export async function startRegistry(): Promise<TestRegistry> {
  const dir = await tempDir('registry');
  const port = await freePort();
  const dataDir = join(dir, 'data');
  await mkdir(dataDir);
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${dataDir}`, '  delete:', '    enabled: true', 'http:', `  addr: 127.0.0.1:${port}`, ''].join('\n'),
  );
  const child: ResultPromise = execa('/usr/bin/docker-registry', ['serve', config], { reject: false, stdio: 'ignore' });
  const stop = async () => {
    if (child.pid) process.kill(child.pid, 'SIGTERM');
    await child;
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v2/`);
      if (res.status === 200) return { host: `127.0.0.1:${port}`, dataDir, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error('docker-registry did not start within 5 s');
}

/**
 * A second build of a stack that differs from the first (another SOURCE_DATE_EPOCH gives other
 * mtimes, so another diff_id), to rebase onto. SOURCE_DATE_EPOCH is restored afterwards.
 */
export async function rebuildStack(name: string, home: HomePaths): Promise<StackInfo> {
  const saved = process.env.SOURCE_DATE_EPOCH;
  process.env.SOURCE_DATE_EPOCH = '1000000000';
  try {
    return await buildStack(name, { force: true, home });
  } finally {
    if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
    else process.env.SOURCE_DATE_EPOCH = saved;
  }
}
