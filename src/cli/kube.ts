import type { Command } from 'commander';
import { DropshipError } from '../errors.js';
import { credentialsFor } from './login.js';
import { withProgress } from './output.js';

interface KubeFlags {
  registry: string;
  output?: string;
  namespace?: string;
  insecure?: boolean;
  seccomp: string;
  apparmor: string;
  kind: string;
  apply?: boolean;
  username?: string;
  passwordStdin?: boolean;
}

function choice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (!found) throw new DropshipError('INVALID_OPTION', `${flag} '${value}' is not one of ${allowed.join(', ')}`, { hint: `write ${flag} ${allowed[allowed.length - 1]}` });
  return found;
}

export function register(program: Command): void {
  program
    .command('kube')
    .description('the app on Kubernetes: push its image by digest, write manifests with the same hardening (--apply: apply them)')
    .argument('<app>', 'the app (as `dropship ps` lists it)')
    .requiredOption('--registry <host[:port]/repo>', 'registry repository the cluster pulls from')
    .option('-o, --output <dir>', 'write DIR/<app>.yaml and DIR/seccomp, DIR/apparmor (default: YAML on stdout)')
    .option('--namespace <ns>', 'namespace of every object')
    .option('--insecure', 'plain http to the registry (for one on 127.0.0.1)')
    .option('--seccomp <type>', "Localhost (dropship's profile) or RuntimeDefault", 'Localhost')
    .option('--apparmor <type>', "Localhost (dropship's profile) or RuntimeDefault", 'Localhost')
    .option('--kind <kind>', 'workload per process type: statefulset (instance index = ordinal) or deployment', 'statefulset')
    .option('--apply', 'apply the objects with the kubeconfig (KUBECONFIG or ~/.kube/config); without it no cluster is contacted')
    .option('-u, --username <name>', 'registry user (with --password-stdin; default: what dropship login saved)')
    .option('--password-stdin', 'read the registry password from stdin')
    .action(async (app: string, flags: KubeFlags) => {
      const seccomp = choice('--seccomp', flags.seccomp, ['Localhost', 'RuntimeDefault'] as const);
      const apparmor = choice('--apparmor', flags.apparmor, ['Localhost', 'RuntimeDefault'] as const);
      const workload = choice('--kind', flags.kind, ['StatefulSet', 'Deployment'] as const);
      const kube = await import('../kube/index.js');
      const target = kube.parseRegistryTarget(flags.registry);
      const { storeImage, release } = await kube.releaseFromApp(app);
      const credentials = await credentialsFor(target.registry, flags);
      const imageRef = await withProgress(`Pushing ${storeImage} to ${flags.registry}`, (onProgress) =>
        kube.publishImage(storeImage, release.app, flags.registry, { insecure: flags.insecure, credentials, onProgress }), { lines: 'plain' });
      const manifests = kube.kubeManifests({ ...release, imageRef, namespace: flags.namespace, seccomp, apparmor, workload });
      for (const warning of manifests.warnings) process.stderr.write(`warning: ${warning}\n`);
      const header = `dropship kube ${release.app}: ${imageRef}`;
      if (flags.output) {
        for (const path of await kube.writeManifests(flags.output, release.app, manifests, header)) process.stderr.write(`wrote ${path}\n`);
        if (manifests.files.length) process.stderr.write("note: copy seccomp/*.json into each node's kubelet seccomp directory and load apparmor/* with apparmor_parser before the pods start\n");
      } else {
        process.stdout.write(kube.toYaml(manifests.objects, header));
        if (manifests.files.length) process.stderr.write('note: the pods name Localhost profiles; write them with -o DIR (or use --seccomp/--apparmor RuntimeDefault)\n');
      }
      if (flags.apply) await withProgress('Applying to Kubernetes', (onProgress) => kube.applyObjects(manifests.objects, onProgress), { lines: 'plain' });
    });
}
