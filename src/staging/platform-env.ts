import { execa } from 'execa';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Debian's place for CAs the host's admin added (update-ca-certificates reads it). */
export const LOCAL_CA_DIR = '/usr/local/share/ca-certificates';
/** An env value travels in execve: keep it far below the kernel's 128 KiB per string. */
const MAX_CA_BYTES = 64 * 1024;

/** The npm registry of the host's npm (`npm config get registry`); none when npm is absent. */
export async function hostNpmRegistry(): Promise<string | undefined> {
  const result = await execa('npm', ['config', 'get', 'registry'], { reject: false, timeout: 15_000 });
  const url = result.exitCode === 0 ? result.stdout.trim() : '';
  return /^https?:\/\//.test(url) ? url : undefined;
}

/** PEM of the host's locally added CAs (e.g. a TLS-inspecting egress proxy), when any and not too big. */
export async function hostExtraCaCerts(dir = LOCAL_CA_DIR): Promise<string | undefined> {
  const files = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  const pems: string[] = [];
  for (const file of files.filter((f) => f.endsWith('.crt')).sort()) {
    const text = await readFile(join(dir, file), 'utf8').catch(() => '');
    if (text.includes('-----BEGIN CERTIFICATE-----')) pems.push(text.trim());
  }
  const pem = pems.join('\n');
  return pem && Buffer.byteLength(pem) <= MAX_CA_BYTES ? pem : undefined;
}

let hostEnv: Promise<Record<string, string>> | undefined;

/**
 * The platform's env for every staging on this host, under the user's: the registry the host's
 * npm uses (NPM_CONFIG_REGISTRY) and the CAs the host trusts on top of the stack's
 * (DROPSHIP_EXTRA_CA_CERTS), so that buildpacks download the way the host does. Read once per
 * process: `npm config get` costs a few hundred milliseconds.
 */
export function platformStagingEnv(): Promise<Record<string, string>> {
  hostEnv ??= Promise.all([hostNpmRegistry(), hostExtraCaCerts()]).then(([registry, cas]) => ({
    ...(registry ? { NPM_CONFIG_REGISTRY: registry } : {}),
    ...(cas ? { DROPSHIP_EXTRA_CA_CERTS: cas } : {}),
  }));
  return hostEnv;
}
