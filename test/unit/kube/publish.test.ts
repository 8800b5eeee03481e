import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRegistryTarget } from '../../../src/kube/publish.js';

test('--registry is HOST[:PORT]/REPO', () => {
  assert.equal(parseRegistryTarget('127.0.0.1:5000/apps'), { registry: '127.0.0.1:5000', repository: 'apps' });
  assert.equal(parseRegistryTarget('registry.example/team/apps'), { registry: 'registry.example', repository: 'team/apps' });
});

test('a tag, a digest or no repository is refused with the flag named', () => {
  for (const bad of ['127.0.0.1:5000/apps:v1', `127.0.0.1:5000/apps@sha256:${'0'.repeat(64)}`, '127.0.0.1:5000', '127.0.0.1:5000/', '/apps']) {
    assert.throws(() => parseRegistryTarget(bad), /--registry '.*' is not HOST\[:PORT\]\/REPO/, bad);
  }
  assert.throws(() => parseRegistryTarget('127.0.0.1:5000/Apps'), /not a valid repository name/);
});

test.run();
