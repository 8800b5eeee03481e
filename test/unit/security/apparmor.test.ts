import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { APPARMOR_PROFILE_NAME, apparmorProfileText } from '../../../src/security/apparmor.js';

test('the profile carries the rules of garden-default', () => {
  const text = apparmorProfileText();
  assert.match(text, `profile ${APPARMOR_PROFILE_NAME} flags=(attach_disconnected,mediate_deleted) {`);
  for (const rule of ['network,', 'capability,', 'file,', 'umount,', 'deny mount,', 'deny @{PROC}/* w,', 'deny @{PROC}/sysrq-trigger rwklx,', 'deny @{PROC}/kcore rwklx,', 'deny /sys/firmware/** rwklx,', 'deny /sys/kernel/security/** rwklx,', `ptrace (trace,read,tracedby,readby) peer=${APPARMOR_PROFILE_NAME},`]) {
    assert.ok(text.includes(`  ${rule}\n`), rule);
  }
  assert.match(text, /deny @\{PROC\}\/sys\/kernel\/\{\?,\?\?,\[\^s\]\[\^h\]\[\^m\]\*\*\} w,/);
});

test('the profile name can be chosen', () => {
  const text = apparmorProfileText('other');
  assert.match(text, 'profile other ');
  assert.match(text, 'peer=other,');
});

test.run();
