import { buildIfCnb } from '../cnb/index.js';
import { DropshipError } from '../errors.js';
import { buildImage } from '../oci/index.js';
import { ensureStack } from '../stack/index.js';
import { stage, type StagingEvent } from '../staging/index.js';
import { deployImage } from './push-deploy.js';
import type { PushSeams, StageOutput } from './push.js';

/** Staging's events as push's log lines, for V2 staging and CNB builds alike. */
function logLines(onLog: (line: string) => void): (event: StagingEvent) => void {
  return (event) => {
    if (event.type === 'log') onLog(event.line);
    else if (event.type === 'warning') onLog(`warning: ${event.message}`);
    else if (event.type === 'phase' && event.status === 'done' && event.durationMs !== undefined) {
      onLog(`${event.title} (${(event.durationMs / 1000).toFixed(1)}s)`);
    }
  };
}

type CnbBuilt = NonNullable<Awaited<ReturnType<typeof buildIfCnb>>>;

/** A CNB build as push's staging output: no droplet, the exported image instead. */
function cnbStaged(built: CnbBuilt): StageOutput {
  const processTypes = Object.fromEntries(built.processes.map((p) => [p.type, [...p.command, ...p.args].join(' ')]));
  if (!built.defaultProcess) {
    throw new DropshipError('PUSH_NO_COMMAND', `${built.app}: the Cloud Native Buildpacks set no default process (launch.toml [[processes]] with default = true, or type web)`, {
      hint: `the buildpacks ${built.group.map((b) => b.id).join(', ')} defined ${Object.keys(processTypes).join(', ') || 'no process types'}; choose buildpacks that define the app's process`,
    });
  }
  return {
    droplet: '',
    result: '',
    buildpacks: built.group.map((b) => `${b.id} ${b.version}`),
    processTypes,
    image: {
      ref: `${built.image.name}:${built.image.tag}`,
      digest: built.image.digest,
      startCommand: processTypes[built.defaultProcess],
      processTypes,
      warnings: built.warnings,
      cnb: { defaultProcess: built.defaultProcess },
    },
  };
}

/** The push seams wired to the stack, staging, oci and app rooms. */
export function realPushSeams(): PushSeams {
  return {
    ensureStack: (name, onLog) => ensureStack(name, { onLog }),

    async stage(input) {
      const onEvent = logLines(input.onLog);
      const cnb = await buildIfCnb({
        appDir: input.appDir, buildpacks: input.buildpacks, buildpacksFrom: input.buildpacksFrom, tag: input.tag, stack: input.stack,
        name: input.name, env: input.env, memory: input.memoryBytes, signal: input.signal, onEvent,
      });
      if (cnb) return cnbStaged(cnb);
      const result = await stage({
        appDir: input.appDir,
        name: input.name,
        stack: input.stack,
        buildpacks: input.buildpacks.length ? input.buildpacks : undefined,
        buildpacksFrom: input.buildpacksFrom,
        env: input.env,
        command: input.command,
        memory: input.memoryBytes,
        disk: input.diskBytes,
        dropletPath: input.droplet,
        // The droplet only carries the app to image build, which runs next and deletes it.
        dropletCompression: 'store',
        resultPath: input.result,
        signal: input.signal,
        onEvent,
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
        reused: built.reused,
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
        { strategy: input.strategy, noStart: input.noStart, onLog: input.onLog },
      );
      const healthy = deployed.instances.filter((i) => i.state === 'running').length;
      return {
        state: input.noStart ? 'stopped' : deployed.running ? 'running' : healthy > 0 ? 'degraded' : 'crashed',
        healthy,
        requested: deployed.requested,
        release: deployed.release,
        hostPort: input.routed ? deployed.hostPort : undefined,
      };
    },
  };
}
