import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isPublicAddress, privateBuildpackUrlsAllowed, refusedUrlHost } from '../../../src/buildpack/url-policy.js';

test('loopback, private, link-local, CGNAT, multicast and reserved IPv4 are not public', () => {
  for (const ip of ['127.0.0.1', '127.255.0.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254',
    '100.64.0.1', '0.0.0.0', '0.1.2.3', '224.0.0.1', '240.0.0.1', '255.255.255.255', '192.0.0.8', '198.18.0.1']) {
    assert.is(isPublicAddress(ip), false, ip);
  }
  for (const ip of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '172.15.255.255', '100.128.0.1', '192.169.0.1', '93.184.216.34']) {
    assert.is(isPublicAddress(ip), true, ip);
  }
});

test('IPv6: loopback, unspecified, unique-local, link-local, multicast and IPv4 in disguise are not public', () => {
  for (const ip of ['::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1',
    '::ffff:10.0.0.1', '64:ff9b::a00:1', '::127.0.0.1', '2002:7f00:1::1']) {
    assert.is(isPublicAddress(ip), false, ip);
  }
  for (const ip of ['2001:4860:4860::8888', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808']) {
    assert.is(isPublicAddress(ip), true, ip);
  }
});

test('anything that is not an address is not public', () => {
  for (const value of ['', 'localhost', '1.2.3', '::g', '[::1]']) assert.is(isPublicAddress(value), false, value);
});

test('URL hosts: literal addresses are judged as written (the URL parser normalises 0x7f.1, 2130706433, [::1])', () => {
  assert.is(refusedUrlHost(new URL('http://127.0.0.1:8080/bp.tgz')), '127.0.0.1');
  assert.is(refusedUrlHost(new URL('http://2130706433/bp.tgz')), '127.0.0.1');
  assert.is(refusedUrlHost(new URL('http://0x7f.1/bp.tgz')), '127.0.0.1');
  assert.is(refusedUrlHost(new URL('http://[::1]/bp.tgz')), '::1');
  assert.is(refusedUrlHost(new URL('http://[::ffff:169.254.169.254]/')), '::ffff:a9fe:a9fe');
  assert.is(refusedUrlHost(new URL('https://8.8.8.8/bp.tgz')), undefined);
  // Names are judged by the addresses they resolve to, at connect time.
  assert.is(refusedUrlHost(new URL('https://buildpacks.example/bp.tgz')), undefined);
});

test('the operator override is DROPSHIP_ALLOW_PRIVATE_BUILDPACK_URLS=1 exactly', () => {
  assert.is(privateBuildpackUrlsAllowed({ DROPSHIP_ALLOW_PRIVATE_BUILDPACK_URLS: '1' }), true);
  assert.is(privateBuildpackUrlsAllowed({ DROPSHIP_ALLOW_PRIVATE_BUILDPACK_URLS: '0' }), false);
  assert.is(privateBuildpackUrlsAllowed({}), false);
});

test.run();
