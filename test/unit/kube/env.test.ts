import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { envDigest, literal, platformEnv, secretData } from '../../../src/kube/env.js';
import { release, web } from './fixture.js';

test("literal: '$' doubled, so Kubernetes' $(VAR) expansion cannot rewrite a value", () => {
  assert.is(literal('plain'), 'plain');
  assert.is(literal('$(HOME)'), '$$(HOME)');
  assert.is(literal('a$$b'), 'a$$$$b');
});

test('VCAP_APPLICATION is written as a literal', () => {
  const env = platformEnv(release({ app: 'shop' }), web(), true);
  const vcap = env.find((e) => e.name === 'VCAP_APPLICATION')!.value!;
  assert.not.match(vcap, /\$\(/);
  assert.is(JSON.parse(vcap).space_name, 'default');
  const namespaced = platformEnv(release({ namespace: 'prod' }), web(), true).find((e) => e.name === 'VCAP_APPLICATION')!.value!;
  assert.is(JSON.parse(namespaced).space_name, 'prod');
});

test('secret data: every user variable plus VCAP_SERVICES, base64', () => {
  const data = secretData(release({ env: { A: 'é', B: '' }, services: {} }));
  assert.equal(data, { A: Buffer.from('é').toString('base64'), B: '', VCAP_SERVICES: Buffer.from('{}').toString('base64') });
});

test('env digest: independent of key order, changes with any value', () => {
  assert.is(envDigest({ A: '1', B: '2' }), envDigest({ B: '2', A: '1' }));
  assert.is.not(envDigest({ A: '1' }), envDigest({ A: '2' }));
  assert.match(envDigest({}), /^sha256:[0-9a-f]{64}$/);
});

test.run();
