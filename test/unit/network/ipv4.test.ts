import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cidrRange, formatIp, parseCidr, parseIp, rangesOverlap, subtractRanges } from '../../../src/network/ipv4.js';

test('parses and formats addresses', () => {
  assert.is(parseIp('10.254.0.1'), 0x0afe0001);
  assert.is(formatIp(0xffffffff), '255.255.255.255');
  assert.is(parseIp('10.254.0'), undefined);
  assert.is(parseIp('10.254.0.256'), undefined);
  assert.is(parseIp('10.254.0.1a'), undefined);
});

test('CIDRs: base, range, strict host bits', () => {
  const cidr = parseCidr('10.254.0.0/22')!;
  assert.equal(cidrRange(cidr), { first: parseIp('10.254.0.0'), last: parseIp('10.254.3.255') });
  assert.is(parseCidr('10.254.0.1/22', { strict: true }), undefined);
  assert.is(parseCidr('10.254.0.1/22')!.base, parseIp('10.254.0.0'));
  assert.is(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(cidrRange(parseCidr('0.0.0.0/0')!), { first: 0, last: 0xffffffff });
});

test('overlap and subtraction', () => {
  assert.ok(rangesOverlap({ first: 1, last: 5 }, { first: 5, last: 9 }));
  assert.not.ok(rangesOverlap({ first: 1, last: 4 }, { first: 5, last: 9 }));
  assert.equal(subtractRanges({ first: 0, last: 100 }, [{ first: 50, last: 60 }, { first: 0, last: 9 }]), [
    { first: 10, last: 49 },
    { first: 61, last: 100 },
  ]);
  assert.equal(subtractRanges({ first: 0, last: 10 }, [{ first: 0, last: 10 }]), []);
});

test.run();
