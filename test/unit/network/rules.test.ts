import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../../src/errors.js';
import { parsePorts, parseRules } from '../../../src/network/rules.js';

function message(raw: unknown): string {
  try {
    parseRules(raw);
  } catch (error) {
    assert.instance(error, DropshipError);
    return (error as DropshipError).message;
  }
  throw new Error('expected a validation error');
}

test('accepts the Cloud Foundry forms', () => {
  const rules = parseRules([
    { protocol: 'tcp', destination: '10.0.0.0/8', ports: '443', description: 'https' },
    { protocol: 'udp', destination: '10.0.0.1', ports: '80,443' },
    { protocol: 'tcp', destination: '10.0.0.1-10.0.0.9', ports: '1000-2000', log: true },
    { protocol: 'icmp', destination: '0.0.0.0/0', type: 8, code: 0 },
    { protocol: 'all', destination: '192.0.2.0/24,198.51.100.7' },
  ]);
  assert.is(rules.length, 5);
  assert.is(rules[2]!.log, true);
  assert.is(rules[3]!.type, 8);
});

test('errors name the rule (1-based) and the field', () => {
  assert.is(
    message([{ protocol: 'tcp', destination: '10.0.0.1', ports: '80' }, { protocol: 'tcp', destination: '10.0.0.1', ports: '80-' }]),
    "rule 2: ports: '80-' is not a port or range",
  );
  assert.is(message([{ protocol: 'tcp', destination: '10.0.0.1', ports: '80,x' }]), "rule 1: ports: 'x' is not a port or range");
  assert.is(message([{ protocol: 'tcp', destination: '10.0.0.1', ports: '70000' }]), "rule 1: ports: '70000' is not a port or range");
  assert.is(message([{ protocol: 'sctp', destination: '10.0.0.1' }]), 'rule 1: protocol: "sctp" is not a protocol');
  assert.is(message([{ protocol: 'all', destination: '10.0.0.300' }]), 'rule 1: destination: "10.0.0.300" is not an IP, CIDR or range');
  assert.is(message([{ protocol: 'all', destination: '10.0.0.9-10.0.0.1' }]), 'rule 1: destination: "10.0.0.9-10.0.0.1" is not an IP, CIDR or range');
  assert.is(message([{ protocol: 'icmp', destination: '10.0.0.1', ports: '80' }]), 'rule 1: ports: only tcp and udp rules have ports, this one is icmp');
  assert.is(message([{ protocol: 'tcp', destination: '10.0.0.1', type: 8 }]), 'rule 1: type: only icmp rules have a type, this one is tcp');
  assert.is(message([{ protocol: 'icmp', destination: '10.0.0.1', type: 300 }]), 'rule 1: type: 300 is not an ICMP type');
  assert.is(message([{ protocol: 'icmp', destination: '10.0.0.1', code: 3 }]), 'rule 1: code: a code needs a type');
  assert.is(message([{ protocol: 'tcp', destination: '10.0.0.1', port: '80' }]), "rule 1: port: is not a rule field (did you mean 'ports'?)");
  assert.is(message([{ protocol: 'tcp', destination: '10.0.0.1', log: 'yes' }]), 'rule 1: log: "yes" is not true or false');
  assert.is(message({ protocol: 'tcp' }), 'security group rules: expected a JSON list of rules');
});

test('port lists and ranges', () => {
  assert.equal(parsePorts('80, 443,1000-2000'), [
    { first: 80, last: 80 },
    { first: 443, last: 443 },
    { first: 1000, last: 2000 },
  ]);
  assert.is(parsePorts('2000-1000'), undefined);
  assert.is(parsePorts('0'), undefined);
});

test.run();
