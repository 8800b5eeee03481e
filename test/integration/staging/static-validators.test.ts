import '../../helpers/env.js';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { APPS, dropletFile, inScratch, stageApp } from './helpers.js';

/** `uri → etag` from the droplet's generated nginx map. */
function etags(droplet: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const match of dropletFile(droplet, 'app/.dropship-nginx/etags.conf').matchAll(/^ {2}"(\/[^"]*)" "(W\/\\"[0-9a-f]{32}\\")";$/gm)) {
    map.set(match[1]!, match[2]!);
  }
  return map;
}

test('static sites on bookworm: validators follow content (a changed file gets a new ETag, the others keep theirs); nginx -t accepts the conf', async () => {
  await inScratch('etag', async ({ out, name }) => {
    const app = join(out, 'site');
    await cp(join(APPS, 'static-site'), app, { recursive: true });
    const first = await stageApp(app, out, name, { stack: 'bookworm', network: false });
    const conf = dropletFile(first.result.droplet.path, 'app/.dropship-nginx/nginx.conf');
    for (const line of ['etag off;', 'if_modified_since off;', 'add_header ETag $dropship_etag;', 'add_header Last-Modified "";']) assert.ok(conf.includes(line), line);
    const before = etags(first.result.droplet.path);
    // The Staticfile's root is public/: URIs are relative to it.
    assert.ok(before.has('/index.html') && before.has('/style.css'), [...before.keys()].join(' '));

    const page = 'index.html';
    await writeFile(join(app, 'public', page), '<h1>a new version</h1>\n');
    const second = await stageApp(app, out, name, { stack: 'bookworm', network: false, dropletPath: join(out, 'second.tgz') });
    const after = etags(second.result.droplet.path);
    assert.is.not(after.get(`/${page}`), before.get(`/${page}`), 'the changed page has a new ETag');
    const unchanged = [...before.keys()].filter((k) => k !== `/${page}`);
    assert.ok(unchanged.length > 0);
    for (const uri of unchanged) assert.is(after.get(uri), before.get(uri), `${uri} keeps its ETag`);
  });
});

test.run();
