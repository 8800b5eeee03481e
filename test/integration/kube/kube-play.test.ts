import { uniqueName } from '../../helpers/env.js';
import { randomUUID } from 'node:crypto';
import { access, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { appPaths, ensureAppDir, writeAppSpec } from '../../../src/apps/state.js';
import { bindSecurityGroup, createSecurityGroup, deleteSecurityGroup } from '../../../src/network/index.js';
import { buildImage, removeImage } from '../../../src/oci/index.js';
import { ensureStack } from '../../../src/stack/index.js';
import { makeDroplet, startRegistry, tempDir, type TestRegistry } from '../oci/image-fixtures.js';
import { startApiRecorder } from './api-recorder.js';
import { backupHostFiles, podmanMissing, type HostFilesBackup } from './podman-host.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const app = uniqueName('kube');
const group = `${app}-sg`;
const marker = `served by ${app}`;
const MiB = 1024 * 1024;

let skip: string | undefined;
let dir: string;
let registry: TestRegistry | undefined;
let hostFiles: HostFilesBackup | undefined;
let podmanEnv: NodeJS.ProcessEnv;
let api: Awaited<ReturnType<typeof startApiRecorder>> | undefined;
const made = { pods: [] as string[], secrets: [] as string[], images: [] as string[] };

// Every run sees a kubeconfig naming the recording endpoint: without --apply it must get no request.
const dropship = (...args: string[]) => execa(process.execPath, ['--import', 'tsx', MAIN, ...args], { reject: false, env: { ...process.env, KUBECONFIG: api!.kubeconfig } });
const podman = (...args: string[]) => execa('podman', args, { reject: false, env: podmanEnv });

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

test.before(async () => {
  skip = process.getuid?.() !== 0 ? 'needs root (podman kube play with user namespaces)' : await podmanMissing();
  if (skip) return;
  dir = await tempDir('kube');
  api = await startApiRecorder(dir);
  // A private containers.conf through CONTAINERS_CONF: runc (crun fails on this host's hybrid
  // cgroups) and ulimits under the host's hard limit. Nothing in /etc/containers changes.
  const conf = join(dir, 'containers.conf');
  await writeFile(conf, '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n[engine]\nruntime = "runc"\n');
  podmanEnv = { ...process.env, CONTAINERS_CONF: conf };
  hostFiles = await backupHostFiles();
  // podman builds its pause image on the first pod; remove it afterwards only if this test made it.
  const version = (await podman('version', '--format', '{{.Client.Version}}')).stdout.trim();
  const pauseImage = `localhost/podman-pause:${version}-0`;
  if ((await podman('image', 'exists', pauseImage)).exitCode !== 0) made.images.push(pauseImage);
  registry = await startRegistry();
  const stack = await ensureStack('tiny');
  const droplet = await makeDroplet(join(dir, 'droplet.tgz'), { startCommand: 'httpd -f -p "$PORT" -h /home/vcap/app', marker });
  const built = await buildImage({ droplet, stack, tag: `dropship-apps/${app}:latest` });
  await ensureAppDir(app);
  await writeAppSpec({
    name: app, id: randomUUID(), image: `dropship-apps/${app}:latest`, imageDigest: built.digest, release: 1,
    processes: [{ type: 'web', instances: 1, memoryBytes: 128 * MiB, diskBytes: 256 * MiB, healthCheck: { type: 'http', endpoint: '/index.txt', startTimeoutMs: 30_000 } }],
    env: { GREETING: 'hello $(HOME)' }, services: { db: [{ credentials: { password: 'pw' } }] }, hostPort: 0, containerPort: 8080, stopTimeoutMs: 5000, createdAt: new Date().toISOString(),
  });
  await createSecurityGroup(group, [{ protocol: 'tcp', destination: '10.0.0.1-10.0.0.6', ports: '443,8000-8100' }, { protocol: 'icmp', destination: '0.0.0.0/0', type: 8 }]);
  await bindSecurityGroup(group, { kind: 'running', app });
});

test.after(async () => {
  if (skip) return;
  for (const pod of made.pods) await podman('pod', 'rm', '--force', '--time', '0', pod);
  for (const secret of made.secrets) await podman('secret', 'rm', secret);
  for (const image of made.images) await podman('rmi', '--force', image);
  await hostFiles?.restore();
  await deleteSecurityGroup(group).catch(() => undefined);
  await rm(appPaths(app).dir, { recursive: true, force: true });
  await removeImage(`dropship-apps/${app}:latest`).catch(() => undefined);
  await registry?.stop();
  await api?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('without -o: multi-document YAML on stdout, image by the digest the registry answered', async () => {
  if (skip) return console.log(`skipped: ${skip}`);
  const result = await dropship('kube', app, '--registry', `${registry!.host}/kube-it`, '--insecure');
  assert.is(result.exitCode, 0, result.stderr);
  const docs = parseAllDocuments(result.stdout).map((d) => d.toJSON());
  assert.equal(docs.map((d) => d.kind), ['Secret', 'NetworkPolicy', 'Service', 'StatefulSet']);
  const res = await fetch(`http://${registry!.host}/v2/kube-it/manifests/${app}`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  const digest = res.headers.get('docker-content-digest');
  assert.match(String(digest), /^sha256:[0-9a-f]{64}$/);
  const image = docs[3].spec.template.spec.containers[0].image;
  assert.is(image, `${registry!.host}/kube-it@${digest}`);
  assert.match(result.stderr, /warning: security group rule 2 \(icmp to 0\.0\.0\.0\/0\): NetworkPolicy cannot express ICMP/);
  assert.equal(docs[1].spec.egress[0].ports, [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 8000, endPort: 8100 }]);
  assert.equal(docs[1].spec.egress[0].to.map((p: { ipBlock: { cidr: string } }) => p.ipBlock.cidr), ['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/31', '10.0.0.6/32']);
});

test('bad input: an unknown app and a registry with a tag fail with error: and hint:, writing nothing', async () => {
  if (skip) return console.log(`skipped: ${skip}`);
  const out = join(dir, 'never');
  const missing = await dropship('kube', `${app}-nope`, '--registry', `${registry!.host}/kube-it`, '--insecure', '-o', out);
  assert.is(missing.exitCode, 1);
  assert.match(missing.stderr, /^error: no app named '.*-nope'\nhint: /m);
  const tagged = await dropship('kube', app, '--registry', `${registry!.host}/kube-it:v1`, '--insecure', '-o', out);
  assert.is(tagged.exitCode, 1);
  assert.match(tagged.stderr, /error: --registry '.*:v1' is not HOST\[:PORT\]\/REPO\nhint: /);
  assert.is(await access(out).then(() => true, () => false), false, 'no output directory');
});

/**
 * podman 4.3 is the real consumer here, and plays less than a cluster: no StatefulSet (hence
 * --kind deployment), a Secret only as a podman secret holding the data map as JSON, seccomp
 * only from the legacy annotation, no status.podIP in the downward API, ports published only
 * through hostPort. The test adapts the generated YAML in exactly those ways and no others.
 */
function forPodman(docs: Array<Record<string, any>>, hostPort: number): { secret: { name: string; data: string }; deployment: Record<string, any> } {
  const secretDoc = docs.find((d) => d.kind === 'Secret')!;
  const deployment = structuredClone(docs.find((d) => d.kind === 'Deployment')!);
  const pod = deployment.spec.template;
  const container = pod.spec.containers[0];
  const seccomp = pod.spec.securityContext.seccompProfile;
  pod.metadata.annotations['seccomp.security.alpha.kubernetes.io/pod'] = `localhost/${seccomp.localhostProfile}`;
  container.env = container.env.filter((e: any) => e.valueFrom?.fieldRef?.fieldPath !== 'status.podIP' && e.name !== 'CF_INSTANCE_ADDR');
  container.ports[0] = { ...container.ports[0], hostPort, hostIP: '127.0.0.1' };
  return { secret: { name: secretDoc.metadata.name, data: JSON.stringify(secretDoc.data) }, deployment };
}

test('podman kube play: pulled by digest, answers HTTP, uid 2000, no capabilities, own user namespace, dropship seccomp', async () => {
  if (skip) return console.log(`skipped: ${skip}`);
  const out = join(dir, 'out');
  const result = await dropship('kube', app, '--registry', `${registry!.host}/kube-it`, '--insecure', '-o', out, '--kind', 'deployment');
  assert.is(result.exitCode, 0, result.stderr);
  const yamlPath = join(out, `${app}.yaml`);
  assert.is((await stat(yamlPath)).mode & 0o777, 0o600, 'the YAML holds the Secret: 0600');
  const docs = parseAllDocuments(await readFile(yamlPath, 'utf8')).map((d) => d.toJSON());
  const deployment = docs.find((d) => d.kind === 'Deployment')!;
  const imageRef: string = deployment.spec.template.spec.containers[0].image;
  const profile: string = deployment.spec.template.spec.securityContext.seccompProfile.localhostProfile;
  await access(join(out, 'seccomp', profile));
  // The AppArmor profile the pods name compiles (this kernel has no AppArmor to load it into).
  const apparmor: string = deployment.spec.template.spec.securityContext.appArmorProfile.localhostProfile;
  const parsed = await execa('apparmor_parser', ['-Q', '-K', join(out, 'apparmor', apparmor)], { reject: false });
  if ((parsed as { code?: string }).code === 'ENOENT') console.log('apparmor_parser missing: AppArmor profile syntax not checked (apt-get install apparmor)');
  else assert.is(parsed.exitCode, 0, parsed.stderr);

  const hostPort = await freePort();
  const { secret, deployment: played } = forPodman(docs, hostPort);
  const secretFile = join(dir, 'secret.json');
  await writeFile(secretFile, secret.data, { mode: 0o600 });
  const created = await podman('secret', 'create', secret.name, secretFile);
  assert.is(created.exitCode, 0, created.stderr);
  made.secrets.push(secret.name);
  const playFile = join(dir, 'play.yaml');
  await writeFile(playFile, JSON.stringify(played));
  const podName = `${deployment.metadata.name}-pod-0`;
  made.pods.push(podName);
  made.images.push(imageRef);
  const play = await podman('kube', 'play', '--tls-verify=false', '--userns', 'auto:size=65536', '--seccomp-profile-root', join(out, 'seccomp'), playFile);
  assert.is(play.exitCode, 0, play.stderr);

  let body = '';
  for (let i = 0; i < 100 && !body; i++) {
    body = await fetch(`http://127.0.0.1:${hostPort}/index.txt`).then((r) => (r.ok ? r.text() : ''), () => '');
    if (!body) await new Promise((r) => setTimeout(r, 100));
  }
  assert.is(body, `${marker}\n`);

  const ctr = `${podName}-${deployment.spec.template.spec.containers[0].name}`;
  const inspect = await podman('inspect', ctr, '--format', '{{.ImageName}}');
  assert.is(inspect.stdout.trim(), imageRef, 'the container runs the image named by digest');
  const status = await podman('exec', ctr, 'cat', '/proc/1/status', '/proc/1/uid_map');
  assert.is(status.exitCode, 0, status.stderr);
  assert.match(status.stdout, /^Uid:\s+2000\s+2000\s+2000\s+2000$/m);
  assert.match(status.stdout, /^Gid:\s+2000\s+2000\s+2000\s+2000$/m);
  assert.match(status.stdout, /^CapEff:\s+0000000000000000$/m);
  assert.match(status.stdout, /^CapBnd:\s+0000000000000000$/m);
  assert.match(status.stdout, /^NoNewPrivs:\s+1$/m);
  assert.match(status.stdout, /^Seccomp:\s+2$/m);
  const [, hostId] = /^\s*0\s+(\d+)\s+65536$/m.exec(status.stdout) ?? [];
  assert.ok(hostId && Number(hostId) > 0, 'container root is an unprivileged host id (hostUsers: false)');

  const env = await podman('exec', ctr, 'env');
  assert.match(env.stdout, /^GREETING=hello \$\(HOME\)$/m, 'user env from the Secret, unexpanded');
  assert.match(env.stdout, /^VCAP_SERVICES=\{"db":\[\{"credentials":\{"password":"pw"\}\}\]\}$/m);
  assert.match(env.stdout, /^PORT=8080$/m);

  // dropship's profile, not podman's default: podman's lets an unprivileged user create a user
  // namespace, dropship's denies unshare. The same command, same image, both ways.
  const denied = await podman('exec', ctr, 'unshare', '-U', 'true');
  assert.is.not(denied.exitCode, 0);
  assert.match(denied.stderr, /Operation not permitted/);
  const control = await podman('run', '--rm', '--userns', 'auto:size=65536', '--user', '2000:2000', imageRef, 'unshare -U true');
  assert.is(control.exitCode, 0, `podman's default profile allows it: ${control.stderr}`);
});

test('nothing contacted a cluster without --apply; --apply sends one server-side apply per object', async () => {
  if (skip) return console.log(`skipped: ${skip}`);
  assert.equal(api!.requests, [], 'the runs above had a kubeconfig but no --apply');
  const result = await dropship('kube', app, '--registry', `${registry!.host}/kube-it`, '--insecure', '-o', join(dir, 'applied'), '--namespace', 'team-a', '--apply');
  assert.is(result.exitCode, 0, result.stderr);
  const patches = api!.requests.filter((r) => r.method === 'PATCH');
  assert.equal(patches.map((r) => r.url.split('?')[0]), [
    `/api/v1/namespaces/team-a/secrets/${app}-env`,
    `/apis/networking.k8s.io/v1/namespaces/team-a/networkpolicies/${app}-egress`,
    `/api/v1/namespaces/team-a/services/${app}`,
    `/apis/apps/v1/namespaces/team-a/statefulsets/${app}-web`,
  ]);
  for (const patch of patches) {
    assert.is(patch.contentType, 'application/apply-patch+yaml');
    const query = new URLSearchParams(patch.url.split('?')[1]);
    assert.is(query.get('fieldManager'), 'dropship');
    assert.is(query.get('force'), 'true');
  }
  assert.is(JSON.parse(patches[3]!.body).spec.template.spec.hostUsers, false);
  assert.ok(api!.requests.every((r) => r.method === 'GET' || r.method === 'PATCH'), 'discovery and applies only');
});

test.run();
