import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { doctor } from '../../src/doctor/index.js';
import { commandVersion } from '../../src/doctor/probe.js';

test('doctor reports this host: runc, hybrid cgroups, user namespaces, seccomp', async () => {
  const report = await doctor();
  const byName = new Map(report.checks.map((c) => [c.name, c]));
  assert.ok(report.ok, JSON.stringify(report.checks.filter((c) => c.status === 'missing')));
  assert.is(byName.get('runc')?.status, 'ok');
  assert.match(byName.get('runc')!.detail, /runc version 1\./);
  assert.is(byName.get('cgroups')?.status, 'ok');
  assert.match(byName.get('cgroups')!.detail, /memory/);
  assert.is(byName.get('user namespaces')?.status, 'ok');
  assert.is(byName.get('seccomp')?.status, 'ok');
  for (const check of report.checks) {
    if (check.status !== 'ok') assert.ok(check.fix, `${check.name} has no fix line`);
  }
});

test('doctor says plainly whether AppArmor is enforced', async () => {
  const report = await doctor();
  const row = report.checks.find((c) => c.name === 'apparmor')!;
  const { readFile } = await import('node:fs/promises');
  const enabled = (await readFile('/sys/module/apparmor/parameters/enabled', 'utf8').catch(() => 'N')).trim() === 'Y';
  if (enabled) assert.is(row.status, 'ok');
  else {
    assert.is(row.status, 'degraded');
    assert.match(row.detail, /^not enforced: kernel lacks AppArmor; profile compiles$/);
  }
});

test('doctor shows the init, the crun stdio work-around and the store modes', async () => {
  const report = await doctor();
  const byName = new Map(report.checks.map((c) => [c.name, c]));
  const init = byName.get('init')!;
  assert.is(init.required, true);
  if (init.status === 'ok') assert.match(init.detail, /^tini version 0\.\d+/);
  else assert.is(init.fix, 'apt-get install tini');
  const crun = byName.get('crun stdio')!;
  if (crun.status === 'ok') assert.match(crun.detail, /pipes only|not installed/);
  else assert.is(crun.fix, 'chown root:root /dev/null && chmod 666 /dev/null');
  assert.ok(byName.has('store'));
});

test('a command that is not installed reads as missing, not as a crash', async () => {
  assert.is(await commandVersion('dropship-no-such-command'), undefined);
});

test('dropship doctor --json exits 0 on this host and prints every row', async () => {
  const result = await execa('node', ['--import', 'tsx', 'src/cli/main.ts', 'doctor', '--json'], { reject: false });
  assert.is(result.exitCode, 0, result.stderr);
  const report = JSON.parse(result.stdout) as { ok: boolean; checks: Array<{ name: string }> };
  assert.ok(report.ok);
  assert.ok(report.checks.some((c) => c.name === 'iptables'));
});

test.run();
