import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kubeletSeccompJson, profileRefs } from '../../../src/kube/profiles.js';
import { DENIED_SYSCALLS, defaultSeccompProfile, type SeccompProfile } from '../../../src/security/index.js';

test("the kubelet JSON carries dropship's profile rule for rule: default EPERM, allowlist, argument filters", () => {
  const runtime = defaultSeccompProfile();
  const json = JSON.parse(kubeletSeccompJson());
  assert.is(json.defaultAction, 'SCMP_ACT_ERRNO');
  assert.is(json.defaultErrnoRet, 1);
  assert.equal(json.architectures, runtime.architectures);
  assert.is(json.syscalls.length, runtime.syscalls.length);
  runtime.syscalls.forEach((rule, i) => {
    assert.equal(json.syscalls[i].names, rule.names);
    assert.is(json.syscalls[i].action, rule.action);
    assert.is(json.syscalls[i].errnoRet, rule.errnoRet);
    assert.equal(json.syscalls[i].args?.map((a: { index: number; value: number; op: string }) => [a.index, a.value, a.op]), rule.args?.map((a) => [a.index, a.value, a.op]));
  });
  const allowed = new Set(json.syscalls.filter((r: { action: string; args?: unknown }) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r: { names: string[] }) => r.names));
  for (const name of Object.keys(DENIED_SYSCALLS)) assert.not.ok(allowed.has(name), `${name} stays denied`);
  const clone = json.syscalls.find((r: { names: string[] }) => r.names.includes('clone'));
  assert.equal(clone.args, [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
});

test('a runtime field the kubelet format lacks is refused, not silently dropped', () => {
  const profile = defaultSeccompProfile();
  const withFlags = { ...profile, flags: ['SECCOMP_FILTER_FLAG_LOG'] } as unknown as SeccompProfile;
  assert.throws(() => kubeletSeccompJson(withFlags), /the profile has flags/);
  const withRuleField = { ...profile, syscalls: [{ ...profile.syscalls[0]!, includes: { caps: ['CAP_SYS_ADMIN'] } }] } as unknown as SeccompProfile;
  assert.throws(() => kubeletSeccompJson(withRuleField), /rule 1 .* has includes/);
});

test('Localhost names the files it writes; the name follows the content', () => {
  const refs = profileRefs('Localhost', 'Localhost');
  assert.equal(refs.files.map((f) => f.path), [`seccomp/${refs.seccompProfile.localhostProfile}`, `apparmor/${refs.appArmorProfile.localhostProfile}`]);
  assert.match(refs.seccompProfile.localhostProfile!, /^dropship-[0-9a-f]{12}\.json$/);
  assert.is(refs.files[0]!.content, kubeletSeccompJson());
  assert.equal(profileRefs('Localhost', 'Localhost'), refs, 'stable');
  assert.equal(profileRefs('RuntimeDefault', 'Localhost').files.length, 1);
});

test.run();
