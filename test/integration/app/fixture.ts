import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureStack } from '../../../src/stack/index.js';
import { commitTinyApp } from '../../helpers/tiny-app-image.js';

/**
 * A real image in the store for the app tests: the tiny stack's layer (busybox-static and
 * bash-static from Debian, root and vcap 2000) and a small app layer at /app with shell
 * scripts the tests start with -c. The default command serves HTTP on $PORT
 * with busybox httpd; /cgi-bin/index answers `instance $INSTANCE_INDEX`.
 */
export const TEST_IMAGE = 'dropship-test/app-fixture:1';
/** The same image with no config.User: it runs as (mapped) container root. */
export const TEST_ROOT_IMAGE = 'dropship-test/app-fixture:root';

const SCRIPTS: Record<string, string> = {
  'web.sh': `#!/bin/sh
mkdir -p /tmp/www/cgi-bin
cp /app/cgi/* /tmp/www/cgi-bin/
echo ok > /tmp/www/index.html
echo "web instance $INSTANCE_INDEX listening on $PORT"
trap 'echo "got SIGTERM, leaving"; kill $child; exit 0' TERM
httpd -f -p "$PORT" -h /tmp/www &
child=$!
wait $child
`,
  'stubborn.sh': `#!/bin/sh
mkdir -p /tmp/www/cgi-bin
cp /app/cgi/* /tmp/www/cgi-bin/
trap 'echo "ignoring SIGTERM"' TERM
httpd -f -p "$PORT" -h /tmp/www &
while true; do sleep 1; done
`,
  'crash.sh': `#!/bin/sh
echo "crashing in a moment"
sleep 1
exit 3
`,
  'silent.sh': `#!/bin/sh
echo "never listening"
exec sleep 1000
`,
  'hog.sh': `#!/bin/sh
mkdir -p /tmp/www/cgi-bin
cp /app/cgi/* /tmp/www/cgi-bin/
httpd -p "$PORT" -h /tmp/www
echo "eating memory"
x=a; while true; do x="$x$x"; done
`,
};

const CGI: Record<string, string> = {
  index: `#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\ninstance %s\\n' "$INSTANCE_INDEX"
`,
  fail: `#!/bin/sh
printf 'HTTP/1.0 500 Internal Server Error\\r\\nContent-Type: text/plain\\r\\n\\r\\nbroken\\n'
`,
  env: `#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
env
`,
  id: `#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
echo "uid=$(id -u) gid=$(id -g)"
grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status
`,
  write: `#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
dd if=/dev/zero of=/home/vcap/big bs=1M count=\${QUERY_STRING:-64} 2>&1
echo "exit=$?"
rm -f /home/vcap/big
`,
};

async function appDir(dir: string): Promise<void> {
  await mkdir(join(dir, 'cgi'), { recursive: true });
  for (const [name, text] of Object.entries(SCRIPTS)) await writeFile(join(dir, name), text, { mode: 0o755 });
  for (const [name, text] of Object.entries(CGI)) await writeFile(join(dir, 'cgi', name), text, { mode: 0o755 });
}

/** Build (or rebuild; the layers are reproducible, so it costs little) the test image. */
export async function ensureTestImage(): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'dropship-app-fixture-'));
  try {
    await appDir(join(work, 'app'));
    const stack = await ensureStack('tiny');
    await commitTinyApp(TEST_IMAGE, stack, join(work, 'app'));
    await commitTinyApp(TEST_ROOT_IMAGE, stack, join(work, 'app'), { root: true });
    return TEST_IMAGE;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
