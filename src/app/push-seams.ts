import { execa } from 'execa';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildImage } from '../oci/index.js';
import { attachNetwork } from '../network/index.js';
import { ensureStack } from '../stack/index.js';
import { stage } from '../staging/index.js';
import { deployImage } from './push-deploy.js';
import type { PushSeams } from './push.js';

/** Debian's place for CAs the host's admin added (update-ca-certificates reads it). */
const LOCAL_CA_DIR = '/usr/local/share/ca-certificates';
/** An env value travels in execve: keep it far below the kernel's 128 KiB per string. */
const MAX_CA_BYTES = 64 * 1024;

/** The npm registry of the host's npm (`npm config get registry`); none when npm is absent. */
async function hostNpmRegistry(): Promise<string | undefined> {
  const result = await execa('npm', ['config', 'get', 'registry'], { reject: false, timeout: 15_000 });
  const url = result.exitCode === 0 ? result.stdout.trim() : '';
  return /^https?:\/\//.test(url) ? url : undefined;
}

/** PEM of the host's locally added CAs (e.g. a TLS-inspecting egress proxy), when any. */
async function hostExtraCaCerts(): Promise<string | undefined> {
  const files = await readdir(LOCAL_CA_DIR, { recursive: true }).catch(() => [] as string[]);
  const pems: string[] = [];
  for (const file of files.filter((f) => f.endsWith('.crt')).sort()) {
    const text = await readFile(join(LOCAL_CA_DIR, file), 'utf8').catch(() => '');
    if (text.includes('-----BEGIN CERTIFICATE-----')) pems.push(text.trim());
  }
  const pem = pems.join('\n');
  return pem && Buffer.byteLength(pem) <= MAX_CA_BYTES ? pem : undefined;
}

/**
 * Staging creates its container before the network hook runs, so the network's /etc/resolv.conf
 * and /etc/hosts cannot be bind-mounted; they are written into the container's overlay instead
 * (its upper dir), before any buildpack runs. rm first: a symlink there must not be followed.
 */
async function installNameFiles(bundle: string, files: { resolvConf: string; hostsFile: string }): Promise<void> {
  const etc = join(bundle, 'rootfs', 'etc');
  for (const [source, name] of [[files.resolvConf, 'resolv.conf'], [files.hostsFile, 'hosts']] as const) {
    const target = join(etc, name);
    await rm(target, { force: true });
    await writeFile(target, await readFile(source), { flag: 'wx', mode: 0o644 });
  }
}

/** The push seams wired to the stack, staging, oci, network and app rooms. */
export function realPushSeams(): PushSeams {
  let stagingEnv: Promise<Record<string, string>> | undefined;
  return {
    stagingEnv: () =>
      (stagingEnv ??= Promise.all([hostNpmRegistry(), hostExtraCaCerts()]).then(([registry, cas]) => ({
        ...(registry ? { NPM_CONFIG_REGISTRY: registry } : {}),
        ...(cas ? { DROPSHIP_EXTRA_CA_CERTS: cas } : {}),
      }))),

    ensureStack: (name, onLog) => ensureStack(name, { onLog }),

    async stage(input) {
      const result = await stage({
        appDir: input.appDir,
        name: input.name,
        stack: input.stack,
        buildpacks: input.buildpacks.length ? input.buildpacks : undefined,
        env: input.env,
        command: input.command,
        memory: input.memoryBytes,
        dropletPath: input.droplet,
        resultPath: input.result,
        signal: input.signal,
        // Staging downloads (Node.js, npm packages) go out through the staging security groups.
        network: async (container) => {
          const attached = await attachNetwork({ containerId: container.id, kind: 'staging', app: input.name, pid: await container.pid() });
          try {
            await installNameFiles(container.bundle, attached);
          } catch (error) {
            await attached.teardown();
            throw error;
          }
          for (const warning of attached.warnings) input.onLog(`warning: ${warning}`);
          return { teardown: () => attached.teardown() };
        },
        onEvent: (event) => {
          if (event.type === 'log') input.onLog(event.line);
          else if (event.type === 'warning') input.onLog(`warning: ${event.message}`);
          else if (event.type === 'phase' && event.status === 'done' && event.durationMs !== undefined) {
            input.onLog(`${event.title} (${(event.durationMs / 1000).toFixed(1)}s)`);
          }
        },
      });
      const buildpacks = (result.result.lifecycle_metadata?.buildpacks ?? []).map((b) => [b.name, b.version].filter(Boolean).join(' '));
      return {
        droplet: result.droplet.path,
        result: result.resultPath,
        buildpacks,
        detectedBuildpack: result.detectedBuildpack,
        processTypes: result.processTypes,
      };
    },

    async buildImage(input) {
      const built = await buildImage({ droplet: input.droplet, result: input.result, stack: input.stack, tag: input.tag });
      return {
        ref: `${built.name}:${built.tag}`,
        digest: built.digest,
        startCommand: built.startCommand,
        processTypes: built.processTypes,
        warnings: built.warnings,
      };
    },

    async start(input) {
      const deployed = await deployImage(
        {
          name: input.name,
          image: input.image,
          processType: input.processType,
          command: input.command,
          instances: input.instances,
          memory: input.memoryBytes,
          disk: input.diskBytes,
          env: Object.entries(input.env).map(([k, v]) => `${k}=${v}`),
          healthCheckType: input.healthCheck.type,
          endpoint: input.healthCheck.endpoint,
          timeout: input.healthCheck.timeoutSeconds,
          port: input.hostPort ? String(input.hostPort) : undefined,
        },
        input.strategy,
        input.onLog,
      );
      const healthy = deployed.instances.filter((i) => i.state === 'running').length;
      return {
        state: deployed.running ? 'running' : healthy > 0 ? 'degraded' : 'crashed',
        healthy,
        requested: input.instances,
        hostPort: input.routed ? deployed.hostPort : undefined,
      };
    },
  };
}
