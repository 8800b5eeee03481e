import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { gunzipSync } from 'node:zlib';
import { access, chmod, cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The staticfile buildpack's scripts run bare against copies of the fixture. The tiny case gets a
// PATH of busybox applets only, like the tiny stack; the bookworm case gets a stand-in `nginx` that
// records how it was called (and can reject the conf), since the host has no nginx.
const bin = fileURLToPath(new URL('../../../buildpacks/staticfile/bin', import.meta.url));
const spa = fileURLToPath(new URL('../../../fixtures/apps/static-spa', import.meta.url));
let root = '';
let tinyPath = '';
let fakeBin = '';
let n = 0;

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dropship-staticfile-bp-'));
  tinyPath = join(root, 'busybox-bin');
  await mkdir(tinyPath);
  const { stdout } = await execa('busybox', ['--list']);
  const busybox = (await execa('sh', ['-c', 'command -v busybox'])).stdout;
  for (const applet of stdout.split('\n').filter(Boolean)) await symlink(busybox, join(tinyPath, applet));
  fakeBin = join(root, 'fake-bin');
  await mkdir(fakeBin);
  await writeFile(
    join(fakeBin, 'nginx'),
    '#!/bin/sh\necho "nginx $*" >>"$NGINX_LOG"\n[ -z "${NGINX_FAIL:-}" ] || { echo "nginx: [emerg] $NGINX_FAIL" >&2; exit 1; }\n',
  );
  await chmod(join(fakeBin, 'nginx'), 0o755);
});

test.after(() => rm(root, { recursive: true, force: true }));

async function app(staticfile: string, extra: Record<string, string> = {}): Promise<string> {
  const dir = join(root, `app-${n++}`);
  await cp(spa, dir, { recursive: true });
  await writeFile(join(dir, 'Staticfile'), staticfile);
  for (const [path, body] of Object.entries(extra)) await writeFile(join(dir, path), body);
  return dir;
}

function run(script: string, args: string[], stack: 'tiny' | 'bookworm', env: Record<string, string> = {}) {
  const PATH = stack === 'tiny' ? tinyPath : `${fakeBin}:${process.env.PATH}`;
  return execa(script.startsWith('/') ? script : join(bin, script), args, { reject: false, env: { PATH, CF_STACK: stack, NGINX_LOG: join(root, 'nginx.log'), ...env }, extendEnv: false, all: true });
}

const finalize = (dir: string, stack: 'tiny' | 'bookworm', env: Record<string, string> = {}) =>
  run('finalize', [dir, join(root, 'cache'), join(root, 'deps'), '0', join(root, 'profile.d')], stack, env);

const exists = (path: string) => access(path).then(() => true, () => false);

test('tiny: busybox httpd serves the root, text assets over 1 KiB are pre-compressed, reproducibly', async () => {
  const dir = await app('root: dist\n');
  const result = await finalize(dir, 'tiny');
  assert.is(result.exitCode, 0, result.all);
  assert.match(result.all!, "Serving 'dist' with busybox httpd");
  const original = await readFile(join(dir, 'dist/assets/app.js'));
  const gz = await readFile(join(dir, 'dist/assets/app.js.gz'));
  assert.ok(gunzipSync(gz).equals(original));
  assert.ok(gz.length < original.length / 2);
  assert.is(gz.readUInt32LE(4), 0, 'no time stamp in the gzip header');
  assert.not.ok(await exists(join(dir, 'dist/index.html.gz')), 'files under 1 KiB stay as they are');
  const again = await app('root: dist\n');
  await finalize(again, 'tiny');
  assert.ok((await readFile(join(again, 'dist/assets/app.js.gz'))).equals(gz));

  const release = await run('release', [dir], 'tiny');
  assert.is(release.exitCode, 0, release.all);
  assert.match(release.stdout, `web: busybox httpd -f -v -p "0.0.0.0:$PORT" -h 'dist'`);
});

test('tiny: gzip: off compresses nothing; nginx-only options and unknown keys are warnings', async () => {
  const dir = await app('root: dist\ngzip: off\npushstate: enabled\ndirectory: visible\nstatus_codes:\n  404: x.html\n');
  const result = await finalize(dir, 'tiny');
  assert.is(result.exitCode, 0, result.all);
  assert.not.ok(await exists(join(dir, 'dist/assets/app.js.gz')));
  assert.match(result.all!, "Staticfile option 'pushstate' needs the bookworm stack (nginx); ignored on tiny");
  assert.match(result.all!, "Staticfile option 'directory' needs the bookworm stack (nginx); ignored on tiny");
  assert.match(result.all!, 'unknown Staticfile option(s) ignored: status_codes');
  assert.not.match(result.all!, 'ssi');
});

test('tiny: Staticfile.auth fails staging rather than serving the site unprotected', async () => {
  const dir = await app('root: dist\n', { 'Staticfile.auth': 'bob:$apr1$abc$def\n' });
  const result = await finalize(dir, 'tiny');
  assert.is.not(result.exitCode, 0);
  assert.match(result.all!, 'Staticfile.auth needs the bookworm stack (nginx)');
});

test('bookworm: an nginx.conf from every option, checked with nginx -t, started on $PORT', async () => {
  const staticfile = [
    'root: dist', 'pushstate: enabled', 'directory: visible', 'ssi: enabled', 'location_include: nginx/extra.conf',
    'http_strict_transport_security: true', 'http_strict_transport_security_include_subdomains: true', 'force_https: true', '',
  ].join('\n');
  const dir = await app(staticfile, { 'Staticfile.auth': 'bob:$apr1$abc$def\n', 'dist/404.html': 'gone\n' });
  await rm(join(root, 'nginx.log'), { force: true });
  const result = await finalize(dir, 'bookworm');
  assert.is(result.exitCode, 0, result.all);
  assert.match(result.all!, "Serving 'dist' with nginx");
  assert.match(result.all!, 'WARNING: force_https');
  assert.match(await readFile(join(root, 'nginx.log'), 'utf8'), /^nginx -t -q -p \S+ -c \S+nginx\.conf$/m);
  assert.ok(await exists(join(dir, 'dist/assets/app.js.gz')), 'gzip_static serves the pre-compressed files');

  const conf = await readFile(join(dir, '.dropship-nginx/nginx.conf'), 'utf8');
  for (const line of [
    'daemon off;', 'pid "@TMP@/nginx.pid";', 'error_log stderr;', 'access_log /dev/stdout;', 'client_body_temp_path "@TMP@/body";',
    'gzip on;', 'gzip_static on;', 'listen @PORT@;', 'root "@APP@/dist";', 'try_files $uri $uri/ /index.html;', 'autoindex on;',
    'ssi on;', 'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;', 'error_page 404 /404.html;',
    'auth_basic_user_file "@APP@/Staticfile.auth";', 'include "@APP@/nginx/extra.conf";', 'if ($http_x_forwarded_proto = "http") {',
    'location ~ /\\. {',
  ]) assert.ok(conf.includes(line), `nginx.conf has ${line}\n${conf}`);

  const release = await run('release', [dir], 'bookworm');
  assert.match(release.stdout, 'web: sh .dropship-nginx/start.sh');

  const tmp = join(root, 'run-tmp');
  await rm(join(root, 'nginx.log'), { force: true });
  const start = await run(join(dir, '.dropship-nginx/start.sh'), [], 'bookworm', { PORT: '8123', TMPDIR: tmp });
  assert.is(start.exitCode, 0, start.all);
  assert.is((await readFile(join(root, 'nginx.log'), 'utf8')).trim(), `nginx -p ${tmp}/nginx/ -c ${tmp}/nginx/nginx.conf`);
  const live = await readFile(join(tmp, 'nginx/nginx.conf'), 'utf8');
  assert.ok(live.includes('listen 8123;') && live.includes(`root "${dir}/dist";`) && live.includes(`pid "${tmp}/nginx/nginx.pid";`), live);
  assert.not.match(live, /@(PORT|APP|TMP)@/);
});

test('bookworm: gzip off, and the app dir as root hides the buildpack and platform files', async () => {
  const dir = await app('gzip: off\nhost_dot_files: enabled\n');
  await cp(join(dir, 'dist/index.html'), join(dir, 'index.html'));
  const result = await finalize(dir, 'bookworm');
  assert.is(result.exitCode, 0, result.all);
  const conf = await readFile(join(dir, '.dropship-nginx/nginx.conf'), 'utf8');
  assert.ok(conf.includes('gzip off;') && conf.includes('gzip_static off;'));
  assert.ok(conf.includes('root "@APP@/.";'));
  assert.ok(conf.includes('location ~ ^/(\\.dropship-nginx(/|$)|Staticfile(\\.auth)?$|manifest\\.ya?ml$|Procfile$) {'), conf);
  assert.not.ok(conf.includes('location ~ /\\. {'), 'host_dot_files: enabled serves dot files');
  assert.not.ok((await readdir(join(dir, 'dist/assets'))).includes('app.js.gz'));
});

test('bookworm: a conf nginx rejects, a root outside the app or with odd characters fail staging', async () => {
  const rejected = await finalize(await app('root: dist\n'), 'bookworm', { NGINX_FAIL: 'unknown directive "ssi"' });
  assert.is.not(rejected.exitCode, 0);
  assert.match(rejected.all!, 'nginx: [emerg] unknown directive "ssi"');
  assert.match(rejected.all!, 'nginx rejects the configuration generated from the Staticfile');

  const outside = await finalize(await app('root: ../etc\n'), 'bookworm');
  assert.is.not(outside.exitCode, 0);
  assert.match(outside.all!, "Staticfile root '../etc' must be a directory inside the app");

  const dir = await app('root: dist\nlocation_include: "x; evil"\n');
  const odd = await finalize(dir, 'bookworm');
  assert.is.not(odd.exitCode, 0);
  assert.match(odd.all!, "Staticfile location_include 'x; evil' may only use letters");
});

test.run();
