import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildpackEnv, memoryLimitValue, parseEnvAssignments } from '../../../src/staging/env.js';

test('buildpacks see CF_STACK, MEMORY_LIMIT, LANG, VCAP_* and the user env', () => {
  const env = buildpackEnv({ appName: 'shop', stack: 'tiny', memoryBytes: 1024 ** 3, userEnv: { GREETING: 'hi', LANG: 'C.UTF-8' }, appId: 'id-1' });
  assert.is(env.CF_STACK, 'tiny');
  assert.is(env.MEMORY_LIMIT, '1024m');
  assert.is(env.LANG, 'C.UTF-8');
  assert.is(env.GREETING, 'hi');
  assert.is(env.VCAP_SERVICES, '{}');
  const app = JSON.parse(env.VCAP_APPLICATION!);
  assert.is(app.application_name, 'shop');
  assert.is(app.application_id, 'id-1');
  assert.is(app.limits.mem, 1024);
});

test('user env cannot fake the platform variables', () => {
  const env = buildpackEnv({ appName: 'a', stack: 'tiny', memoryBytes: 256 * 1024 ** 2, userEnv: { CF_STACK: 'other', MEMORY_LIMIT: '1m' } });
  assert.is(env.CF_STACK, 'tiny');
  assert.is(env.MEMORY_LIMIT, '256m');
  assert.is(env.LANG, 'en_US.UTF-8');
});

test('STACK beside CF_STACK; platform values under the user env, the platform variables over both', () => {
  const env = buildpackEnv({
    appName: 'a', stack: 'bookworm', memoryBytes: 256 * 1024 ** 2,
    platformEnv: { NPM_CONFIG_REGISTRY: 'http://platform/', DROPSHIP_EXTRA_CA_CERTS: 'pem', STACK: 'fake' },
    userEnv: { NPM_CONFIG_REGISTRY: 'http://mine/', STACK: 'heroku-22' },
  });
  assert.is(env.STACK, 'bookworm');
  assert.is(env.CF_STACK, 'bookworm');
  assert.is(env.NPM_CONFIG_REGISTRY, 'http://mine/');
  assert.is(env.DROPSHIP_EXTRA_CA_CERTS, 'pem');
});

test('MEMORY_LIMIT is whole megabytes', () => {
  assert.is(memoryLimitValue(512 * 1024 ** 2 + 5), '512m');
});

test('-e NAME=VALUE: values may hold = and be empty; bad names are refused', () => {
  assert.equal(parseEnvAssignments(['A=1', 'B=x=y', 'C=']), { A: '1', B: 'x=y', C: '' });
  assert.throws(() => parseEnvAssignments(['NOEQUALS']), /--env: 'NOEQUALS' is not NAME=VALUE/);
  assert.throws(() => parseEnvAssignments(['1A=b']), /is not NAME=VALUE/);
});

test.run();
