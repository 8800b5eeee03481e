import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { uniqueName } from '../../helpers/env.js';
import { FIXTURES, get, pushJson, removePushed, type PushJson } from './helpers.js';

const name = uniqueName('it-push-static');

test.after(() => removePushed(name));

test('a static site is detected by the staticfile buildpack and served on bookworm', async () => {
  const summary = (await pushJson(join(FIXTURES, 'static-site'), '--name', name)) as PushJson;
  assert.is(summary.state, 'running');
  assert.match(summary.buildpacks.join(','), /^staticfile /);
  assert.match(await get(`${summary.url}/`), '<h1>Hello from a static site</h1>');
});

test.run();
