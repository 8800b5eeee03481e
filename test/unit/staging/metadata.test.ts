import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configVarsScript, resultJson, stagingInfo } from '../../../src/staging/metadata.js';

test('result.json follows the Cloud Foundry schema', () => {
  const result = resultJson({
    buildpacks: [{ key: 'tool', name: 'supply-tool', version: '0.3.0' }, { key: '/bp', name: 'final', version: '2.1.0' }],
    detected: 'final 2.1.0',
    processTypes: { web: 'bin/start', worker: 'w' },
  });
  assert.equal(result, {
    lifecycle_metadata: {
      buildpack_key: '/bp',
      detected_buildpack: 'final 2.1.0',
      buildpacks: [{ key: 'tool', name: 'supply-tool', version: '0.3.0' }, { key: '/bp', name: 'final', version: '2.1.0' }],
    },
    process_types: { web: 'bin/start', worker: 'w' },
    processes: [{ type: 'web', command: 'bin/start' }, { type: 'worker', command: 'w' }],
    execution_metadata: '',
    lifecycle_type: 'buildpack',
  });
});

test('a failed staging still writes a result with the error', () => {
  const result = resultJson({ buildpacks: [], processTypes: {}, error: { code: 'NO_BUILDPACK_DETECTED', message: 'm', exit_code: 222 } });
  assert.is(result.lifecycle_metadata.buildpack_key, '');
  assert.is(result.error?.exit_code, 222);
});

test('staging_info.yml is JSON', () => {
  assert.equal(JSON.parse(stagingInfo('staticfile', 'busybox httpd')), { detected_buildpack: 'staticfile', start_command: 'busybox httpd' });
});

test('config_vars script sets defaults, quotes safely, and lets run-time env win', () => {
  const script = configVarsScript({ MODE: 'production', QUOTED: `it's "quoted" $HOME` })!;
  const shell = (env: Record<string, string>) =>
    execFileSync('sh', ['-c', `${script}\nprintf '%s|%s' "$MODE" "$QUOTED"`], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  assert.is(shell({}), `production|it's "quoted" $HOME`);
  assert.is(shell({ MODE: 'dev' }), `dev|it's "quoted" $HOME`);
  assert.is(configVarsScript({}), undefined);
});

test.run();
