import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CAPABILITY_BITS, DEFAULT_CAPABILITIES, capabilityMask } from '../../../src/security/capabilities.js';
import { MASKED_PATHS, READONLY_PATHS } from '../../../src/security/masked-paths.js';

test('the 14 capabilities of Garden-runC', () => {
  assert.is(DEFAULT_CAPABILITIES.length, 14);
  assert.is(new Set(DEFAULT_CAPABILITIES).size, 14);
  assert.not.ok((DEFAULT_CAPABILITIES as readonly string[]).includes('CAP_SYS_ADMIN'));
  assert.equal(Object.keys(CAPABILITY_BITS).sort(), [...DEFAULT_CAPABILITIES].sort());
});

test('the mask is what the kernel shows as CapBnd', () => {
  assert.is(capabilityMask().toString(16).padStart(16, '0'), '00000000a80425fb');
  assert.is(capabilityMask(['CAP_CHOWN', 'CAP_KILL']), 0b100001n);
});

test('masked and read-only paths', () => {
  for (const p of ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware', '/proc/acpi']) {
    assert.ok((MASKED_PATHS as readonly string[]).includes(p), p);
  }
  assert.equal([...READONLY_PATHS], ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
});

test.run();
