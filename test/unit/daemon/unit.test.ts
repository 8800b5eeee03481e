import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { daemonUnit } from '../../../src/daemon/unit.js';

test('the unit runs the daemon for the store and never kills the apps with it', () => {
  const unit = daemonUnit({ home: '/var/lib/dropship', node: '/usr/bin/node', entry: '/opt/dropship/dist/daemon/daemon-main.js', path: '/usr/bin:/bin' });
  assert.match(unit, /^ExecStart=\/usr\/bin\/node \/opt\/dropship\/dist\/daemon\/daemon-main\.js$/m);
  assert.match(unit, /^Environment=DROPSHIP_HOME=\/var\/lib\/dropship$/m);
  // conmon and the containers share the unit's cgroup: control-group would stop every app with the daemon.
  assert.match(unit, /^KillMode=process$/m);
  assert.match(unit, /^WantedBy=multi-user\.target$/m);
});

test('paths with spaces or shell characters are quoted', () => {
  const unit = daemonUnit({ home: '/srv/my store', node: '/usr/bin/node', entry: '/x/daemon-main.ts', nodeArgs: ['--import', 'tsx'], path: '/bin' });
  assert.match(unit, /^Environment="DROPSHIP_HOME=\/srv\/my store"$/m);
  assert.match(unit, /^ExecStart=\/usr\/bin\/node --import tsx \/x\/daemon-main\.ts$/m);
});

test.run();
