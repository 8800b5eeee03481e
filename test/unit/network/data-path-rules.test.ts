import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { balanceLines, removeScript, setBackendsScript, storeDataPaths } from '../../../src/network/data-path-rules.js';
import { parseSave } from '../../../src/network/iptables-rules.js';

const path = { short: '0123456789', store: 'abcdef01', hostPort: 61005, backends: [{ ip: '10.254.0.2', port: 8080 }, { ip: '10.254.0.3', port: 8080 }, { ip: '10.254.0.4', port: 8080 }] };
const jump = '-p tcp -m tcp --dport 61005 -m comment --comment dropship-dp:0123456789:abcdef01 -j DROPSHIP-DP-0123456789';

test('n backends: rule i takes 1/(n-i) of what is left, the last takes the rest', () => {
  assert.equal(balanceLines('C', path.backends), [
    '-A C -p tcp -m statistic --mode random --probability 0.3333333333 -j DNAT --to-destination 10.254.0.2:8080',
    '-A C -p tcp -m statistic --mode random --probability 0.5000000000 -j DNAT --to-destination 10.254.0.3:8080',
    '-A C -p tcp -j DNAT --to-destination 10.254.0.4:8080',
  ]);
  assert.equal(balanceLines('C', []), []);
});

test('first set: chains declared and jumps added; a later set only refills the chains', () => {
  const first = setBackendsScript(parseSave(''), path);
  assert.equal(first.nat.slice(-1), [`-A DROPSHIP-PREROUTING ${jump}`]);
  assert.equal(first.filter, [':DROPSHIP-DP-0123456789 - [0:0]', `-I DROPSHIP-INPUT 1 ${jump}`]);
  const saved = parseSave(
    [
      '*filter',
      ':DROPSHIP-DP-0123456789 - [0:0]',
      `-A DROPSHIP-INPUT ${jump.replace('dropship-dp:0123456789:abcdef01', '"dropship-dp:0123456789:abcdef01"')}`,
      'COMMIT',
      '*nat',
      ':DROPSHIP-DP-0123456789 - [0:0]',
      `-A DROPSHIP-PREROUTING ${jump.replace('dropship-dp:0123456789:abcdef01', '"dropship-dp:0123456789:abcdef01"')}`,
      'COMMIT',
    ].join('\n'),
  );
  const again = setBackendsScript(saved, { ...path, backends: [] });
  assert.equal(again.nat, [':DROPSHIP-DP-0123456789 - [0:0]'], 'no backend: the nat chain is empty');
  assert.equal(again.filter, [':DROPSHIP-DP-0123456789 - [0:0]', '-A DROPSHIP-DP-0123456789 -p tcp -j REJECT --reject-with tcp-reset']);
  // Another host port: the old jumps go, in the same transaction as the new ones come.
  const moved = setBackendsScript(saved, { ...path, hostPort: 61006 });
  assert.ok(moved.nat.some((line) => line.startsWith('-D DROPSHIP-PREROUTING') && line.includes('--dport 61005')));
  assert.ok(moved.nat.some((line) => line.startsWith('-A DROPSHIP-PREROUTING') && line.includes('--dport 61006')));
  assert.equal(storeDataPaths(saved, 'abcdef01'), new Set(['0123456789']));
  assert.equal(storeDataPaths(saved, 'ffffffff'), new Set(), "another store's data paths are not ours");
  assert.equal(removeScript(saved, new Set(['0123456789'])).filter, [
    `-D DROPSHIP-INPUT ${jump.replace('dropship-dp:0123456789:abcdef01', '"dropship-dp:0123456789:abcdef01"')}`,
    '-F DROPSHIP-DP-0123456789',
    '-X DROPSHIP-DP-0123456789',
  ]);
  assert.equal(removeScript(saved, new Set(['aaaaaaaaaa'])), { raw: [], filter: [], nat: [] });
});

test("another store's data path left on the port is removed in the same transaction", () => {
  const stale = '-p tcp -m tcp --dport 61005 -m comment --comment "dropship-dp:9999999999:00000000" -j DROPSHIP-DP-9999999999';
  const other = '-p tcp -m tcp --dport 61007 -m comment --comment "dropship-dp:8888888888:00000000" -j DROPSHIP-DP-8888888888';
  const saved = parseSave(['*nat', ':DROPSHIP-DP-9999999999 - [0:0]', ':DROPSHIP-DP-8888888888 - [0:0]', `-A DROPSHIP-PREROUTING ${stale}`, `-A DROPSHIP-PREROUTING ${other}`, 'COMMIT'].join('\n'));
  const script = setBackendsScript(saved, path);
  assert.ok(script.nat.some((line) => line.startsWith('-D DROPSHIP-PREROUTING') && line.includes('9999999999')), 'the stale jump goes');
  assert.ok(script.nat.includes('-X DROPSHIP-DP-9999999999'), 'and its chain');
  assert.not.ok(script.nat.some((line) => line.includes('8888888888')), 'a data path on another port stays');
  assert.ok(script.nat.indexOf('-X DROPSHIP-DP-9999999999') < script.nat.findIndex((line) => line.startsWith('-A DROPSHIP-PREROUTING')), 'removed before ours is added');
});

test.run();
