import { buildIfCnb } from '../cnb/index.js';
import { explainStartFailure, watchStart } from '../daemon/index.js';
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
        appDirWithin: input.appDirWithin,
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
      // The instances' states and the app's lines while it starts, from the daemon's files.
      const watch = input.noStart ? undefined : watchStart(input.name, input.onLog);
      const deployed = await deployImage(
        {
          name: input.name,
          image: input.image,
          processes: input.processes.map((p) => ({
            type: p.type,
            instances: p.instances,
            memory: p.memoryBytes,
            disk: p.diskBytes,
            command: p.command,
            healthCheckType: p.healthCheck.type,
            endpoint: p.healthCheck.endpoint,
            timeout: p.healthCheck.timeoutSeconds,
          })),
          buildpacks: input.buildpacks,
          env: Object.entries(input.env).map(([k, v]) => `${k}=${v}`),
          port: input.hostPort ? String(input.hostPort) : undefined,
        },
        { strategy: input.strategy, noStart: input.noStart, onLog: input.onLog, signal: input.signal },
      ).finally(() => watch?.stop());
      const { spec } = deployed;
      return {
        release: spec.release,
        hostPort: spec.hostPort,
        processes: await Promise.all(spec.processes.map(async (p) => {
          const instances = deployed.instances.filter((i) => i.process === p.type);
          const healthy = instances.filter((i) => i.state === 'running').length;
          const state = input.noStart ? 'stopped' : healthy >= p.instances ? 'running' : healthy > 0 ? 'degraded' : 'crashed';
          const failed = !input.noStart && healthy < p.instances;
          return { type: p.type, state, healthy, requested: p.instances, ...(failed ? { failure: await explainStartFailure(spec, instances, p.type) } : {}) };
        })),
      };
    },
  };
}
