import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mergeProcesses, startCommand } from '../../../src/staging/processes.js';

test('release < launch.yml (adds only) < Procfile (per type) < --command (web)', () => {
  const table = mergeProcesses({
    release: { web: 'bin/start', worker: 'release-worker' },
    launch: [[{ type: 'web', command: 'tool serve' }, { type: 'tool-worker', command: 'tool work' }]],
    procfile: { worker: 'procfile-worker' },
  });
  assert.equal(table.processTypes, { 'tool-worker': 'tool work', web: 'bin/start', worker: 'procfile-worker' });
  assert.equal(table.origins, { web: 'release', worker: 'Procfile', 'tool-worker': 'launch.yml' });
  const withCommand = mergeProcesses({ release: { web: 'bin/start' }, launch: [], command: './custom' });
  assert.is(withCommand.processTypes.web, './custom');
  assert.is(withCommand.origins.web, '--command');
});

test('the earlier buildpack wins between launch.yml files', () => {
  const table = mergeProcesses({ release: {}, launch: [[{ type: 'web', command: 'first' }], [{ type: 'web', command: 'second' }]] });
  assert.is(table.processTypes.web, 'first');
});

test('start command: web, else the only process, else none', () => {
  assert.is(startCommand({ web: 'a', worker: 'b' }), 'a');
  assert.is(startCommand({ worker: 'b' }), 'b');
  assert.is(startCommand({ worker: 'b', clock: 'c' }), undefined);
  assert.is(startCommand({}), undefined);
});

test.run();
