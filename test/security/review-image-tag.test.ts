// Review of app names → image tags (issue 14: `--name UPPER` and `upper` never share an image).
// push tags an app's image from its name, and every instance start (restarts, scale) loads that
// tag: when `Shop` and `shop` mapped to the same tag, pushing one made the other's next restart run
// the first one's code with the second one's env. And names the app store accepts (`my_app_`,
// `a..b`, `x--y`) made tags no image store accepts, failing after staging.
// Failed before this change: imageTag('Shop') === imageTag('shop'), and parseImageName refused
// imageTag('my_app_').
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { imageTag } from '../../src/push/push.js';
import { parseImageName } from '../../src/oci/image.js';
import { checkName } from '../../src/util/names.js';

const NAMES = ['shop', 'Shop', 'SHOP', 'sHop', 'by-name', 'latest', 'Latest', 'my_app_', 'a..b', 'x--y', 'a.', '9', 'a_b', 'a__b',
  'named', 'by-name-shop', 'z'.repeat(63), 'Z'.repeat(63), 'web-worker', 'Web-Worker'];

test('every valid app name has its own image tag, and the store accepts it', () => {
  const seen = new Map<string, string>();
  for (const name of NAMES) {
    checkName(name);
    const tag = imageTag(name);
    assert.not.ok(seen.has(tag), `${name} and ${seen.get(tag)} share ${tag}`);
    seen.set(tag, name);
    assert.is(parseImageName(tag).ref, tag, name);
  }
});

test('lower-case names keep the tag they always had', () => {
  assert.is(imageTag('shop'), 'dropship-apps/shop:latest');
  assert.is(imageTag('node-hello.v2'), 'dropship-apps/node-hello.v2:latest');
});

test.run();
