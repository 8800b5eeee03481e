import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  attachScript,
  detachScript,
  leftoverScript,
  logPrefix,
  missingBase,
  parseSave,
  renderRestore,
  securityGroupLines,
} from '../../../src/network/iptables-rules.js';
import { parseRules } from '../../../src/network/rules.js';

const C = 'DROPSHIP-SG-0123456789';

test('security group rules become ACCEPTs with exact matches', () => {
  const rules = parseRules([
    { protocol: 'tcp', destination: '10.0.0.0/8', ports: '443' },
    { protocol: 'udp', destination: '10.0.0.1-10.0.0.9', ports: '80,443,1000-2000' },
    { protocol: 'icmp', destination: '192.0.2.1', type: 8, code: 0 },
    { protocol: 'icmp', destination: '192.0.2.1', type: 3 },
    { protocol: 'icmp', destination: '192.0.2.1', type: -1 },
    { protocol: 'all', destination: '192.0.2.0/24,198.51.100.7' },
  ]);
  assert.equal(securityGroupLines(C, rules, 'app'), [
    `-A ${C} -d 10.0.0.0/8 -p tcp --dport 443 -j ACCEPT`,
    `-A ${C} -m iprange --dst-range 10.0.0.1-10.0.0.9 -p udp -m multiport --dports 80,443,1000:2000 -j ACCEPT`,
    `-A ${C} -d 192.0.2.1/32 -p icmp --icmp-type 8/0 -j ACCEPT`,
    `-A ${C} -d 192.0.2.1/32 -p icmp --icmp-type 3 -j ACCEPT`,
    `-A ${C} -d 192.0.2.1/32 -p icmp -j ACCEPT`,
    `-A ${C} -d 192.0.2.0/24 -j ACCEPT`,
    `-A ${C} -d 198.51.100.7/32 -j ACCEPT`,
  ]);
});

test('tcp without ports opens all ports; a single range needs no multiport', () => {
  const rules = parseRules([{ protocol: 'tcp', destination: '10.0.0.1' }, { protocol: 'tcp', destination: '10.0.0.1', ports: '1000-2000' }]);
  assert.equal(securityGroupLines(C, rules, 'x'), [`-A ${C} -d 10.0.0.1/32 -p tcp -j ACCEPT`, `-A ${C} -d 10.0.0.1/32 -p tcp --dport 1000:2000 -j ACCEPT`]);
});

test('more than 15 multiport slots are split', () => {
  const ports = Array.from({ length: 20 }, (_, i) => String(100 + i)).join(',');
  const lines = securityGroupLines(C, parseRules([{ protocol: 'tcp', destination: '10.0.0.1', ports }]), 'x');
  assert.is(lines.length, 2);
  assert.ok(lines[0]!.includes('--dports 100,101,102,103,104,105,106,107,108,109,110,111,112,113,114 '));
  assert.ok(lines[1]!.includes('--dports 115,116,117,118,119 '));
});

test('log: a rate-limited LOG before the ACCEPT, prefix naming the container within 29 characters', () => {
  const lines = securityGroupLines(C, parseRules([{ protocol: 'tcp', destination: '10.0.0.1', ports: '443', log: true }]), 'my app with a very long name indeed');
  assert.is(lines.length, 2);
  assert.is(lines[0], `-A ${C} -d 10.0.0.1/32 -p tcp --dport 443 -m limit --limit 2/sec --limit-burst 5 -j LOG --log-prefix "ds my_app_with_a_very_long_: "`);
  assert.ok(lines[1]!.endsWith('-j ACCEPT'));
  assert.ok(logPrefix('x'.repeat(100)).length <= 29);
});

function asSaved(script: { raw: string[]; filter: string[]; nat: string[] }, extra: string[] = []): string {
  // What iptables-save would print after the script ran: -I of the jumps shown as -A.
  const table = (lines: string[]) => lines.map((l) => l.replace(/^-I (\S+) 1 /, '-A $1 '));
  return ['*raw', ...table(script.raw), 'COMMIT', '*filter', ...table(script.filter), ...extra, 'COMMIT', '*nat', ...table(script.nat), 'COMMIT'].join('\n');
}

test('base: everything missing on an empty host, nothing when present', () => {
  const empty = missingBase(parseSave('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n'), '10.254.0.0/22');
  const text = renderRestore(empty);
  assert.ok(text.includes(':DROPSHIP-FORWARD - [0:0]'));
  assert.ok(text.includes('-I FORWARD 1 -j DROPSHIP-FORWARD'));
  assert.ok(text.includes('-A DROPSHIP-FORWARD -i ds-+ -p tcp -j REJECT --reject-with tcp-reset'));
  assert.match(text, /-A DROPSHIP-POSTROUTING -s 10.254.0.0\/22 ! -o ds-\+ -m comment --comment dropship-base:[0-9a-f]{12} -j MASQUERADE/);
  assert.ok(text.includes('-I OUTPUT 1 -m addrtype --dst-type LOCAL -j DROPSHIP-PREROUTING'));
  assert.ok(text.includes('*raw\n:DROPSHIP-ANTISPOOF - [0:0]\n-I PREROUTING 1 -i ds-+ -j DROPSHIP-ANTISPOOF\nCOMMIT'));
  assert.equal(missingBase(parseSave(asSaved(empty)), '10.254.0.0/22'), { raw: [], filter: [], nat: [] });
});

test('base: an outdated chain is rewritten in one go, keeping the containers\' rules in place', () => {
  const current = missingBase(parseSave(''), '10.254.0.0/22');
  const jump = '-A DROPSHIP-FORWARD -s 10.254.0.2/32 -i ds-0123456789 -m comment --comment "dropship:0123456789" -j DROPSHIP-SG-0123456789';
  const outdated = {
    raw: current.raw,
    filter: current.filter.filter((l) => !l.startsWith('-A DROPSHIP-FORWARD') || !l.includes('dropship-base')),
    nat: current.nat,
  };
  const repair = missingBase(parseSave(asSaved(outdated, [jump])), '10.254.0.0/22');
  assert.equal(repair.nat, []);
  assert.equal(repair.raw, []);
  assert.is(repair.filter[0], ':DROPSHIP-FORWARD - [0:0]');
  assert.is(repair.filter[4], jump, 'after the three ACCEPTs, before the REJECTs');
  assert.ok(repair.filter[7]!.includes('dropship-base:'));
  // Another subnet changes the masquerade rule, so that chain is rewritten too.
  assert.ok(missingBase(parseSave(asSaved(current)), '10.77.0.0/24').nat.includes(':DROPSHIP-POSTROUTING - [0:0]'));
});

test('attach and detach are inverse; leftovers found by tag and chain name', () => {
  const c = { short: '0123456789', ip: '10.254.0.2', hostPorts: [{ host: 61001, container: 8080 }], rules: [], label: 'a' };
  const attach = attachScript(c);
  assert.equal(attach.nat, ['-A DROPSHIP-PREROUTING -p tcp -m tcp --dport 61001 -m comment --comment dropship:0123456789 -j DNAT --to-destination 10.254.0.2:8080']);
  assert.ok(attach.filter.includes('-I DROPSHIP-FORWARD 4 -s 10.254.0.2/32 -i ds-0123456789 -m comment --comment dropship:0123456789 -j DROPSHIP-SG-0123456789'));
  assert.equal(attach.raw, ['-A DROPSHIP-ANTISPOOF -i ds-0123456789 ! -s 10.254.0.2/32 -m comment --comment dropship:0123456789 -j DROP']);
  const detach = detachScript(c);
  assert.equal(detach.nat, [attach.nat[0]!.replace('-A ', '-D ')]);
  assert.equal(detach.raw, [attach.raw[0]!.replace('-A ', '-D ')]);
  const saved = parseSave(
    [
      '*raw',
      ':DROPSHIP-ANTISPOOF - [0:0]',
      '-A DROPSHIP-ANTISPOOF -i ds-0123456789 ! -s 10.254.0.2/32 -m comment --comment "dropship:0123456789" -j DROP',
      'COMMIT',
      '*filter',
      ':DROPSHIP-FORWARD - [0:0]',
      ':DROPSHIP-SG-0123456789 - [0:0]',
      ':DROPSHIP-SG-aaaaaaaaaa - [0:0]',
      '-A DROPSHIP-FORWARD -s 10.254.0.2/32 -i ds-0123456789 -m comment --comment "dropship:0123456789" -j DROPSHIP-SG-0123456789',
      '-A DROPSHIP-FORWARD -s 10.254.0.3/32 -i ds-aaaaaaaaaa -m comment --comment "dropship:aaaaaaaaaa" -j DROPSHIP-SG-aaaaaaaaaa',
      'COMMIT',
    ].join('\n'),
  );
  assert.equal(leftoverScript(saved, new Set(['0123456789'])), {
    raw: ['-D DROPSHIP-ANTISPOOF -i ds-0123456789 ! -s 10.254.0.2/32 -m comment --comment "dropship:0123456789" -j DROP'],
    filter: [
      '-D DROPSHIP-FORWARD -s 10.254.0.2/32 -i ds-0123456789 -m comment --comment "dropship:0123456789" -j DROPSHIP-SG-0123456789',
      '-F DROPSHIP-SG-0123456789',
      '-X DROPSHIP-SG-0123456789',
    ],
    nat: [],
  });
});

test.run();
