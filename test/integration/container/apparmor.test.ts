import '../../helpers/env.js';
import { existsSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { apparmorProfileText, apparmorUnavailableReason, checkProfile, loadProfile } from '../../../src/security/apparmor.js';
import { DropshipError } from '../../../src/errors.js';

const hasParser = ['/sbin/apparmor_parser', '/usr/sbin/apparmor_parser'].some(existsSync);

test('the generated profile compiles (apparmor_parser -Q -K)', async () => {
  if (!hasParser) {
    console.log('  (skipped: apparmor_parser is not installed)');
    return;
  }
  await checkProfile();
});

test('a broken profile is rejected with the parser message', async () => {
  if (!hasParser) {
    console.log('  (skipped: apparmor_parser is not installed)');
    return;
  }
  try {
    await checkProfile(apparmorProfileText().replace('deny mount,', 'deny mount'));
    assert.unreachable('should have failed');
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.is((error as DropshipError).code, 'APPARMOR_PARSER');
    assert.match((error as DropshipError).message, 'apparmor_parser -Q -K (syntax check) failed');
  }
});

test('loading says plainly whether AppArmor is enforced', async () => {
  const reason = await apparmorUnavailableReason();
  if (reason) {
    const outcome = await loadProfile();
    assert.equal(outcome, { enforced: false, profile: 'dropship-default', reason });
    console.log(`  (load skipped: AppArmor not enforced: ${reason})`);
    return;
  }
  const outcome = await loadProfile();
  assert.equal(outcome, { enforced: true, profile: 'dropship-default' });
});

test.run();
