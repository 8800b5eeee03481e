import { parse, parseAllDocuments } from 'yaml';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { IStatefulSet, IDeployment } from 'kubernetes-models/apps/v1';
import type { IContainer, IEnvVar, IPodSpec, ISecret, IService } from 'kubernetes-models/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { kubeManifests, toYaml } from '../../../src/kube/index.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { DIGEST, IMAGE, release, web } from './fixture.js';
import { assertApiValid } from './validate.js';

const byKind = <T>(objects: KubeObject[], kind: string, name?: string) =>
  objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name)) as unknown as T;
const podOf = (w: IStatefulSet | IDeployment): IPodSpec => w.spec!.template.spec!;
const containerOf = (w: IStatefulSet | IDeployment): IContainer => podOf(w).containers[0]!;
const envOf = (w: IStatefulSet | IDeployment) => Object.fromEntries(containerOf(w).env!.map((e: IEnvVar) => [e.name, e]));

test('every object of every variant validates against the Kubernetes OpenAPI schemas', () => {
  const variants = [
    release(),
    release({ workload: 'Deployment', namespace: 'team-a', seccomp: 'RuntimeDefault', apparmor: 'RuntimeDefault' }),
    release({ app: 'My_App.v2', releaseVersion: undefined, processes: [web({ type: 'Web_Hooks.v1', healthCheck: { type: 'http', endpoint: '/h', timeoutSeconds: 3 } })] }),
    release({ app: 'a'.repeat(63), processes: [web(), web({ type: 'b'.repeat(40) })] }),
    release({ securityGroupRules: [{ protocol: 'icmp', destination: '0.0.0.0/0', type: -1 }, { protocol: 'all', destination: '1.0.0.0-9.255.255.255' }] }),
    release({ processes: [web({ instances: 0 })], env: {}, services: {} }),
  ];
  let count = 0;
  for (const variant of variants) for (const object of kubeManifests(variant).objects) (assertApiValid(object), count++);
  assert.ok(count >= 25, `validated ${count} objects`);
});

test('objects: Secret, NetworkPolicy, a Service for web only, one StatefulSet per process type', () => {
  const { objects } = kubeManifests(release());
  assert.equal(objects.map((o) => `${o.kind}/${o.metadata.name}`), ['Secret/shop-env', 'NetworkPolicy/shop-egress', 'Service/shop', 'StatefulSet/shop-web', 'StatefulSet/shop-worker']);
  const worker = byKind<IStatefulSet>(objects, 'StatefulSet', 'shop-worker');
  assert.is(worker.spec!.replicas, 1);
  assert.is(byKind<IStatefulSet>(objects, 'StatefulSet', 'shop-web').spec!.replicas, 2);
  assert.is(worker.spec!.podManagementPolicy, 'Parallel');
  const noWeb = kubeManifests(release({ processes: [release().processes[1]!] })).objects;
  assert.not.ok(noWeb.some((o) => o.kind === 'Service'));
});

test('pod hardening: own user namespace, vcap, no escalation, no capabilities, dropship profiles, no token', () => {
  const { objects, files } = kubeManifests(release());
  for (const w of objects.filter((o) => o.kind === 'StatefulSet') as unknown as IStatefulSet[]) {
    const pod = podOf(w);
    assert.is(pod.hostUsers, false);
    assert.is(pod.automountServiceAccountToken, false);
    assert.is(pod.enableServiceLinks, false);
    assert.equal({ ...pod.securityContext, seccompProfile: undefined, appArmorProfile: undefined }, { runAsNonRoot: true, runAsUser: 2000, runAsGroup: 2000, seccompProfile: undefined, appArmorProfile: undefined });
    const seccomp = files.find((f) => f.path.startsWith('seccomp/'))!;
    assert.equal(pod.securityContext!.seccompProfile, { type: 'Localhost', localhostProfile: seccomp.path.slice('seccomp/'.length) });
    const apparmor = files.find((f) => f.path.startsWith('apparmor/'))!;
    assert.equal(pod.securityContext!.appArmorProfile, { type: 'Localhost', localhostProfile: apparmor.path.slice('apparmor/'.length) });
    assert.match(apparmor.content, new RegExp(`^profile ${pod.securityContext!.appArmorProfile!.localhostProfile} `, 'm'));
    assert.equal(containerOf(w).securityContext, {
      allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, runAsUser: 2000, runAsGroup: 2000,
    });
  }
  const opted = kubeManifests(release({ seccomp: 'RuntimeDefault', apparmor: 'RuntimeDefault' }));
  const pod = podOf(byKind<IStatefulSet>(opted.objects, 'StatefulSet'));
  assert.equal(pod.securityContext!.seccompProfile, { type: 'RuntimeDefault' });
  assert.equal(pod.securityContext!.appArmorProfile, { type: 'RuntimeDefault' });
  assert.equal(opted.files, [], 'nothing for the nodes to install');
});

test('image by digest everywhere; labels and annotations name app, process, release and digest', () => {
  const { objects } = kubeManifests(release());
  const w = byKind<IStatefulSet>(objects, 'StatefulSet', 'shop-worker');
  assert.is(containerOf(w).image, IMAGE);
  assert.is(containerOf(w).imagePullPolicy, 'IfNotPresent');
  for (const o of objects) {
    assert.is(o.metadata.labels['app.kubernetes.io/name'], 'shop');
    assert.is(o.metadata.labels['app.kubernetes.io/managed-by'], 'dropship');
    assert.is(o.metadata.labels['io.dropship/release'], '4');
    assert.is(o.metadata.annotations['io.dropship/image-digest'], DIGEST);
  }
  assert.is(w.metadata!.labels!['io.dropship/process'], 'worker');
  assert.is(w.spec!.template.metadata!.annotations!['io.dropship/image-digest'], DIGEST);
  assert.equal(w.spec!.selector.matchLabels, { 'io.dropship/app': 'shop', 'io.dropship/process': 'worker' }, 'the selector omits the release: it is immutable');
});

test('tags are refused: only a digest pins what every node runs', () => {
  for (const imageRef of ['127.0.0.1:5000/apps:latest', `127.0.0.1:5000/apps:v1@${DIGEST}`, 'apps@' + DIGEST]) {
    assert.throws(() => kubeManifests(release({ imageRef })), /image|registry reference/, imageRef);
  }
  assert.throws(() => kubeManifests(release({ imageRef: '127.0.0.1:5000/apps:v1' })), /is not a reference by digest/);
});

test("a shell command keeps its $(…) and $$: Kubernetes' own expansion is escaped", () => {
  const { objects } = kubeManifests(release({ processes: [web({ command: 'echo $$ $(date) ${PORT} $(PORT)' })] }));
  const args = containerOf(byKind<IStatefulSet>(objects, 'StatefulSet')).args!;
  assert.equal(args, ['echo $$$$ $$(date) $${PORT} $$(PORT)']);
});

test('a Cloud Native Buildpacks process: its entrypoint replaces the image ENTRYPOINT (a process link), a command stays in args', () => {
  const { objects } = kubeManifests(release({ processes: [web(), web({ type: 'worker', healthCheck: { type: 'process', timeoutSeconds: 60 }, entrypoint: ['/cnb/process/worker'] }), web({ type: 'cron', command: 'run "$X"', entrypoint: ['/cnb/lifecycle/launcher'] })] }));
  const worker = containerOf(byKind<IStatefulSet>(objects, 'StatefulSet', 'shop-worker'));
  assert.equal([worker.command, worker.args], [['/cnb/process/worker'], undefined]);
  const cron = containerOf(byKind<IStatefulSet>(objects, 'StatefulSet', 'shop-cron'));
  assert.equal([cron.command, cron.args], [['/cnb/lifecycle/launcher'], ['run "$$X"']]);
  for (const object of objects) assertApiValid(object);
});

test('process: command through the launcher, resources, probes, stop timeout', () => {
  const { objects } = kubeManifests(release());
  const worker = byKind<IStatefulSet>(objects, 'StatefulSet', 'shop-worker');
  assert.equal(containerOf(worker).args, ['bin/worker --queue jobs']);
  assert.is(containerOf(worker).command, undefined, "the image's entrypoint (the launcher) stays");
  assert.is(containerOf(worker).startupProbe, undefined, 'process health check: no probes');
  assert.is(containerOf(worker).ports, undefined);
  assert.is(podOf(worker).terminationGracePeriodSeconds, 30);
  assert.equal(containerOf(worker).resources, { requests: { cpu: '125m', memory: '1Gi', 'ephemeral-storage': '512Mi' }, limits: { memory: '1Gi', 'ephemeral-storage': '512Mi' } });
  const webSet = byKind<IStatefulSet>(objects, 'StatefulSet', 'shop-web');
  assert.is(containerOf(webSet).args, undefined, "web without -c runs the image's Cmd");
  assert.equal(containerOf(webSet).startupProbe?.tcpSocket, { port: 8080 });
  assert.equal(containerOf(webSet).ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
});

test('env: platform values in the pod, per-instance values from the downward API, user env and services in the Secret', () => {
  const { objects } = kubeManifests(release());
  const w = byKind<IStatefulSet>(objects, 'StatefulSet', 'shop-web');
  const env = envOf(w);
  assert.is(env.PORT!.value, '8080');
  assert.is(env.MEMORY_LIMIT!.value, '256m');
  assert.equal(env.INSTANCE_INDEX!.valueFrom, { fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" } });
  assert.equal(env.CF_INSTANCE_INDEX!.valueFrom, env.INSTANCE_INDEX!.valueFrom);
  assert.equal(env.CF_INSTANCE_GUID!.valueFrom, { fieldRef: { fieldPath: 'metadata.uid' } });
  assert.equal(env.CF_INSTANCE_IP!.valueFrom, { fieldRef: { fieldPath: 'status.podIP' } });
  assert.is(env.CF_INSTANCE_ADDR!.value, '$(CF_INSTANCE_IP):8080', 'Kubernetes expands an earlier variable');
  const names = containerOf(w).env!.map((e) => e.name);
  assert.ok(names.indexOf('CF_INSTANCE_IP') < names.indexOf('CF_INSTANCE_ADDR'), 'a referenced variable comes first');
  const vcap = JSON.parse(env.VCAP_APPLICATION!.value!);
  assert.equal(vcap.limits, { mem: 256, disk: 1024, fds: 16384 });
  assert.is(vcap.application_id, release().appId);
  assert.is(vcap.process_type, 'web');
  assert.is(vcap.instance_index, undefined, "the launcher adds it from INSTANCE_INDEX");
  assert.not.ok(names.includes('LOG_LEVEL') || names.includes('VCAP_SERVICES'), 'no user env or credentials in the pod spec');
  assert.equal(containerOf(w).envFrom, [{ secretRef: { name: 'shop-env' } }]);
  const secret = byKind<ISecret>(objects, 'Secret');
  const decoded = Object.fromEntries(Object.entries(secret.data!).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  assert.equal(decoded, { LOG_LEVEL: 'debug', GREETING: 'costs $(HOME) and $5', VCAP_SERVICES: JSON.stringify(release().services) });
  const deployment = byKind<IDeployment>(kubeManifests(release({ workload: 'Deployment' })).objects, 'Deployment', 'shop-web');
  assert.is(envOf(deployment).INSTANCE_INDEX, undefined, 'a Deployment has no ordinal: the launcher defaults to 0');
});

test('a changed env changes the pod template (pods roll), an unchanged one does not', () => {
  const digestOf = (r: ReturnType<typeof release>) => byKind<IStatefulSet>(kubeManifests(r).objects, 'StatefulSet').spec!.template.metadata!.annotations!['io.dropship/env-digest'];
  assert.is(digestOf(release()), digestOf(release()));
  assert.is.not(digestOf(release()), digestOf(release({ env: { LOG_LEVEL: 'info' } })));
  assert.is.not(digestOf(release()), digestOf(release({ services: {} })));
});

test('the user env cannot claim platform names or smuggle bad keys', () => {
  assert.throws(() => kubeManifests(release({ env: { PORT: '1' } })), /env PORT is set by the platform/);
  assert.throws(() => kubeManifests(release({ env: { CF_INSTANCE_INDEX: '7' } })), /set by the platform/);
  assert.throws(() => kubeManifests(release({ env: { 'A=B': 'x' } })), /'A=B' is not a variable name/);
  assert.throws(() => kubeManifests(release({ env: { '../x': 'x' } })), /not a variable name/);
});

test('Service for web on 8080; Deployment variant rolls with surge', () => {
  const { objects } = kubeManifests(release({ workload: 'Deployment', namespace: 'ns1' }));
  const service = byKind<IService>(objects, 'Service');
  assert.equal(service.spec!.ports, [{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' }]);
  assert.equal(service.spec!.selector, { 'io.dropship/app': 'shop', 'io.dropship/process': 'web' });
  const d = byKind<IDeployment>(objects, 'Deployment', 'shop-web');
  assert.equal(d.spec!.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  assert.ok(objects.every((o) => o.metadata.namespace === 'ns1'));
  assert.ok(kubeManifests(release()).objects.every((o) => o.metadata.namespace === undefined), 'no namespace: the context default');
});

test('NetworkPolicy: egress only, every pod of the app, from the running groups', () => {
  const { objects, warnings } = kubeManifests(release());
  const policy = byKind<INetworkPolicy>(objects, 'NetworkPolicy');
  assert.equal(policy.spec!.policyTypes, ['Egress']);
  assert.equal(policy.spec!.podSelector, { matchLabels: { 'io.dropship/app': 'shop' } });
  assert.is(policy.spec!.egress!.length, 3, 'postgres, dns rule, cluster DNS');
  assert.equal(warnings, []);
  const icmp = kubeManifests(release({ securityGroupRules: [{ protocol: 'icmp', destination: '10.0.0.0/8', type: 8 }] }));
  assert.equal(byKind<INetworkPolicy>(icmp.objects, 'NetworkPolicy').spec!.egress, []);
  assert.is(icmp.warnings.length, 1);
});

test('invalid releases are refused with the field named', () => {
  assert.throws(() => kubeManifests(release({ processes: [] })), /processes: app shop has no process types/);
  assert.throws(() => kubeManifests(release({ processes: [web({ instances: 1.5 })] })), /process 'web': instances: 1.5/);
  assert.throws(() => kubeManifests(release({ processes: [web({ memoryBytes: 0 })] })), /process 'web': memoryBytes/);
  assert.throws(() => kubeManifests(release({ processes: [web(), web()] })), /process 'web': appears twice/);
  assert.throws(() => kubeManifests(release({ processes: [web({ healthCheck: { type: 'http', endpoint: 'http://evil/', timeoutSeconds: 5 } })] })), /is not a path/);
});

test('YAML: one document per object, no aliases, round-trips to the same objects', () => {
  const { objects } = kubeManifests(release());
  const text = toYaml(objects, 'dropship kube shop');
  assert.ok(text.startsWith('# dropship kube shop\n'));
  assert.not.match(text, /[&*]a\d/);
  const docs = parseAllDocuments(text).map((d) => d.toJSON());
  assert.equal(docs, JSON.parse(JSON.stringify(objects)));
  assert.equal(parse(toYaml([objects[0]!])), JSON.parse(JSON.stringify(objects[0])));
});

test('the same release gives byte-identical output', () => {
  assert.is(toYaml(kubeManifests(release()).objects), toYaml(kubeManifests(release()).objects));
});

test.run();
