import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolve } from 'node:path';
import { parseManifest } from '../../../src/push/manifest.js';
import { DropshipError } from '../../../src/errors.js';

function failure(text: string): DropshipError {
  try {
    parseManifest(text);
  } catch (error) {
    assert.instance(error, DropshipError);
    return error as DropshipError;
  }
  throw new Error('expected the manifest to be refused');
}

test('a full manifest with two apps and processes', () => {
  const manifest = parseManifest(`---
applications:
- name: web-app
  path: ./site
  buildpacks: [nodejs]
  stack: bookworm
  command: node server.js
  memory: 256M
  disk_quota: 1G
  instances: 2
  env:
    GREETING: hello
    RETRIES: 3
    DEBUG: false
  health-check-type: http
  health-check-http-endpoint: /health
  timeout: 90
  processes:
  - type: web
    instances: 3
  - type: worker
    command: node worker.js
    memory: 128
    health-check-type: none
- name: second
  buildpack: staticfile
`, 'apps/manifest.yml');
  assert.is(manifest.applications.length, 2);
  const [first, second] = manifest.applications;
  assert.equal(first, {
    name: 'web-app', line: 3, path: resolve('apps/site'), buildpacks: ['nodejs'], stack: 'bookworm',
    command: 'node server.js', memoryBytes: 256 * 1024 ** 2, diskBytes: 1024 ** 3, instances: 2,
    env: { GREETING: 'hello', RETRIES: '3', DEBUG: 'false' }, healthCheckType: 'http',
    healthCheckHttpEndpoint: '/health', timeoutSeconds: 90,
    processes: [
      { type: 'web', instances: 3 },
      { type: 'worker', command: 'node worker.js', memoryBytes: 128 * 1024 ** 2, healthCheckType: 'process' },
    ],
  });
  assert.equal(second, { name: 'second', line: 25, buildpacks: ['staticfile'] });
});

test('a mistyped value names the file, line, app and field', () => {
  const error = failure(`applications:
- name: myapp
  memory: 256M
  instances: two
`);
  assert.is(error.message, "manifest.yml:4: applications[0] (myapp): 'instances' must be a whole number, got 'two'");
  assert.is(error.code, 'MANIFEST_INVALID');
  assert.ok(error.hint);
});

test('an unknown field suggests the one meant', () => {
  const error = failure(`applications:
- name: myapp
  instance: 2
`);
  assert.is(error.message, "manifest.yml:3: applications[0] (myapp): unknown field 'instance'");
  assert.is(error.hint, "did you mean 'instances'?");
  assert.is(failure(`applications:\n- name: a\n  disk-quota: 1G\n`).hint, "did you mean 'disk_quota'?");
});

test('Cloud Foundry fields with no meaning on one host are named as such', () => {
  const error = failure(`applications:
- name: myapp
  routes:
  - route: example.test
`);
  assert.is(error.message, "manifest.yml:3: applications[0] (myapp): 'routes' is a Cloud Foundry field dropship does not support on one host");
});

test('process errors name the process', () => {
  const error = failure(`applications:
- name: myapp
  processes:
  - type: web
  - type: worker
    memory: lots
`);
  assert.is(error.message, "manifest.yml:6: applications[0] (myapp) processes[1] (worker): 'memory' must be a size, got 'lots'");
  assert.match(failure(`applications:\n- name: a\n  processes:\n  - command: x\n`).message, "processes[0]: 'type' is missing");
  assert.match(failure(`applications:\n- name: a\n  processes:\n  - type: web\n  - type: web\n`).message, "process type 'web' appears twice");
});

test('structural mistakes', () => {
  assert.is(failure('name: x\n').message, "manifest.yml:1: unknown field 'name'");
  assert.is(failure('applications: []\n').message, "manifest.yml:1: 'applications' must be a list of apps, got a list");
  assert.is(failure('applications:\n- memory: 1G\n').message, "manifest.yml:2: applications[0]: 'name' is missing");
  assert.is(failure('applications:\n- name: a\n- name: a\n').message, 'manifest.yml:3: applications[1] (a): the name is already used by applications[0]');
  assert.match(failure('applications:\n- name: a\n  buildpack: x\n  buildpacks: [y]\n').message, "both 'buildpack' and 'buildpacks' are set");
  assert.is(failure('applications:\n- name: a\n  health-check-type: tcp\n').message, "manifest.yml:3: applications[0] (a): 'health-check-type' must be port, http or process, got 'tcp'");
  assert.is(failure('applications:\n- name: a\n  health-check-http-endpoint: health\n').message, "manifest.yml:3: applications[0] (a): 'health-check-http-endpoint' must be a path starting with /, got 'health'");
  assert.is(failure('applications:\n- name: a\n  timeout: 0\n').message, "manifest.yml:3: applications[0] (a): 'timeout' must be a whole number of at least 1, got '0'");
  assert.is(failure('applications:\n- name: a\n  env:\n    1BAD: x\n').message, "manifest.yml:4: applications[0] (a): env name '1BAD' is not a shell variable name");
  assert.is(failure('applications:\n- name: a\n  env:\n    LIST: [1]\n').message, "manifest.yml:4: applications[0] (a): env 'LIST' must be a string, number or boolean, got a list");
  assert.is(failure('version: 2\napplications:\n- name: a\n').message, "manifest.yml:1: 'version' must be 1, got '2'");
});

test('invalid YAML and duplicate keys are refused with a line', () => {
  assert.match(failure('applications:\n- name: a\n  memory: 1G\n  memory: 2G\n').message, /^manifest\.yml:4: not valid YAML/);
  assert.match(failure('applications:\n- name: [a\n').message, /^manifest\.yml:\d+: not valid YAML/);
});

test.run();
