import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { instanceEnv, parseUserEnv } from '../../../src/apps/env.js';
import { DropshipError } from '../../../src/errors.js';

const base = {
  appName: 'shop',
  appId: 'app-guid',
  processType: 'web',
  instanceIndex: 2,
  instanceGuid: 'inst-guid',
  port: 8080,
  ip: '10.44.0.7',
  hostPort: 61001,
  memoryBytes: 256 * 1024 * 1024,
  diskBytes: 1024 * 1024 * 1024,
  fds: 16384,
};

test('instanceEnv sets the platform variables of DESIGN.md', () => {
  const env = instanceEnv(base);
  assert.is(env.PORT, '8080');
  assert.is(env.VCAP_APP_PORT, '8080');
  assert.is(env.VCAP_APP_HOST, '0.0.0.0');
  assert.is(env.MEMORY_LIMIT, '256m');
  assert.is(env.INSTANCE_INDEX, '2');
  assert.is(env.INSTANCE_GUID, 'inst-guid');
  assert.is(env.CF_INSTANCE_INDEX, '2');
  assert.is(env.CF_INSTANCE_GUID, 'inst-guid');
  assert.is(env.CF_INSTANCE_IP, '10.44.0.7');
  assert.is(env.CF_INSTANCE_PORT, '61001');
  assert.is(env.CF_INSTANCE_ADDR, '10.44.0.7:8080');
  assert.equal(JSON.parse(env.CF_INSTANCE_PORTS!), [{ external: 61001, internal: 8080 }]);
  assert.equal(JSON.parse(env.VCAP_SERVICES!), {});
});

test('VCAP_APPLICATION carries name, ids, index, port, host and limits', () => {
  const app = JSON.parse(instanceEnv({ ...base, uris: ['shop.local'] }).VCAP_APPLICATION!);
  assert.is(app.application_name, 'shop');
  assert.is(app.name, 'shop');
  assert.is(app.application_id, 'app-guid');
  assert.is(app.instance_index, 2);
  assert.is(app.instance_id, 'inst-guid');
  assert.is(app.port, 8080);
  assert.is(app.host, '0.0.0.0');
  assert.equal(app.limits, { mem: 256, disk: 1024, fds: 16384 });
  assert.equal(app.uris, ['shop.local']);
  assert.is(app.process_type, 'web');
});

test('image env, then user env, then the platform; services pass through', () => {
  const env = instanceEnv({
    ...base,
    imageEnv: ['PATH=/usr/bin:/bin', 'LANG=C', 'PORT=1'],
    userEnv: { LANG: 'en_US.UTF-8', FEATURE: 'on' },
    services: { 'p-mysql': [{ name: 'db', credentials: { uri: 'mysql://x' } }] },
  });
  assert.is(env.PATH, '/usr/bin:/bin');
  assert.is(env.LANG, 'en_US.UTF-8');
  assert.is(env.FEATURE, 'on');
  assert.is(env.PORT, '8080');
  assert.is(JSON.parse(env.VCAP_SERVICES!)['p-mysql'][0].name, 'db');
});

test('parseUserEnv keeps values with = and refuses bad or reserved names', () => {
  assert.equal(parseUserEnv(['A=1', 'URL=x=y', 'EMPTY=']), { A: '1', URL: 'x=y', EMPTY: '' });
  for (const [pair, code] of [['NOEQUALS', 'INVALID_ENV'], ['1A=x', 'INVALID_ENV'], ['PORT=9', 'RESERVED_ENV'], ['CF_INSTANCE_IP=1', 'RESERVED_ENV']]) {
    try {
      parseUserEnv([pair!]);
      assert.unreachable(`should refuse ${pair}`);
    } catch (error) {
      assert.instance(error, DropshipError);
      assert.is((error as DropshipError).code, code);
    }
  }
});

test.run();
