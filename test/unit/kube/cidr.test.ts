import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rangeToCidrs } from '../../../src/kube/cidr.js';
import { cidrRange, parseCidr, parseIp } from '../../../src/network/ipv4.js';

const range = (a: string, b: string) => rangeToCidrs(parseIp(a)!, parseIp(b)!);

/** The blocks cover first..last exactly: contiguous, in order, nothing outside. */
function assertCovers(cidrs: string[], first: number, last: number): void {
  let next = first;
  for (const text of cidrs) {
    const cidr = parseCidr(text, { strict: true });
    assert.ok(cidr, `${text} is a CIDR with no host bits`);
    const r = cidrRange(cidr!);
    assert.is(r.first, next, `${text} starts where the previous block ended`);
    next = r.last + 1;
  }
  assert.is(next, last + 1);
}

test('an aligned range is one block', () => {
  assert.equal(range('10.0.0.0', '10.255.255.255'), ['10.0.0.0/8']);
  assert.equal(range('192.168.1.7', '192.168.1.7'), ['192.168.1.7/32']);
});

test('an unaligned range splits into the fewest blocks', () => {
  assert.equal(range('10.0.0.1', '10.0.0.9'), ['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/30', '10.0.0.8/31']);
  assert.equal(range('10.0.0.255', '10.0.1.0'), ['10.0.0.255/32', '10.0.1.0/32']);
});

test('the whole address space and its ends', () => {
  assert.equal(range('0.0.0.0', '255.255.255.255'), ['0.0.0.0/0']);
  assert.equal(range('255.255.255.255', '255.255.255.255'), ['255.255.255.255/32']);
  assert.equal(range('128.0.0.0', '255.255.255.255'), ['128.0.0.0/1']);
  assert.equal(range('0.0.0.1', '255.255.255.254').length, 62);
});

test("Cloud Foundry's public_networks ranges are covered exactly", () => {
  for (const [a, b] of [['1.0.0.0', '9.255.255.255'], ['11.0.0.0', '100.63.255.255'], ['172.32.0.0', '192.167.255.255']] as const) {
    assertCovers(range(a, b), parseIp(a)!, parseIp(b)!);
  }
  assert.equal(range('11.0.0.0', '100.63.255.255'), ['11.0.0.0/8', '12.0.0.0/6', '16.0.0.0/4', '32.0.0.0/3', '64.0.0.0/3', '96.0.0.0/6', '100.0.0.0/10']);
});

test.run();
