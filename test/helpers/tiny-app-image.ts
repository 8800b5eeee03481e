import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { commitImage, type ImageConfig } from '../../src/oci/image.js';
import { openStore, writeLayer } from '../../src/oci/index.js';
import { homePaths } from '../../src/home.js';
import type { StackInfo } from '../../src/stack/index.js';

export const STACK_MARKER = 'etc/dropship-stack-build';

/**
 * An app image on a build of tiny, tagged `dropship-apps/APP:latest` as a push tags it, with the
 * stack labels a real image build writes. It serves `APP INSTANCE_INDEX` at /cgi-bin/index with
 * busybox httpd. With `pinnedLine`, it refuses to start unless the stack marker holds that
 * exact line: an app that a stack update breaks.
 */
/**
 * Commit `appDir` as /app on the tiny stack's layer, run as vcap (2000) with /app/web.sh serving
 * $PORT (or as mapped root with `root`): the image the app, daemon and repave tests start.
 * Returns the manifest digest.
 */
export async function commitTinyApp(tag: string, stack: StackInfo, appDir: string, options: { labels?: Record<string, string>; root?: boolean } = {}): Promise<string> {
  const store = openStore();
  await store.layout.ensure();
  const layer = await writeLayer(appDir, store, { pack: { prefix: 'app/' } });
  const config: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    config: {
      ...(options.root ? {} : { User: '2000:2000' }),
      Env: ['PATH=/bin'],
      Cmd: ['/bin/sh', '/app/web.sh'],
      WorkingDir: '/app',
      ExposedPorts: { '8080/tcp': {} },
      ...(options.labels ? { Labels: options.labels } : {}),
    },
    rootfs: { type: 'layers', diff_ids: [stack.diffId, layer.diffId] },
  };
  const base = { mediaType: stack.mediaType, digest: stack.digest, size: stack.size };
  return (await commitImage(store, tag, [base, layer.descriptor], config)).digest;
}

/**
 * `appDir` as an app that busybox httpd serves on $PORT: /cgi-bin/index answers `answer`, a printf
 * format whose one `%s` is the instance index. `guard` runs first (it may refuse to start).
 */
export async function writeHttpdApp(appDir: string, answer: string, guard = ''): Promise<void> {
  await mkdir(join(appDir, 'cgi'), { recursive: true });
  await writeFile(join(appDir, 'web.sh'), `#!/bin/sh\n${guard}mkdir -p /tmp/www/cgi-bin && cp /app/cgi/* /tmp/www/cgi-bin/\ntrap 'kill $child; exit 0' TERM\nhttpd -f -p "$PORT" -h /tmp/www &\nchild=$!\nwait $child\n`, { mode: 0o755 });
  await writeFile(join(appDir, 'cgi/index'), `#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n${answer}\\n' "$INSTANCE_INDEX"\n`, { mode: 0o755 });
}

export async function tinyAppImage(app: string, stack: StackInfo, pinnedLine?: string): Promise<string> {
  await mkdir(homePaths().tmp, { recursive: true });
  const work = await mkdtemp(join(homePaths().tmp, 'app-image-'));
  try {
    const guard = pinnedLine ? `grep -qx '${pinnedLine}' /${STACK_MARKER} || { echo "not the stack build I know"; exit 3; }\n` : '';
    await writeHttpdApp(join(work, 'app'), `${app} %s`, guard);
    const labels = { 'io.dropship.stack': stack.name, 'io.dropship.stack.digest': stack.diffId };
    return await commitTinyApp(`dropship-apps/${app}:latest`, stack, join(work, 'app'), { labels });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
