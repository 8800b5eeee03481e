import type { Command } from 'commander';
import { printJson, printTable } from './output.js';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('show what this host can do: runtimes, cgroups, namespaces, seccomp, AppArmor, overlay, iptables')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const { doctor } = await import('../doctor/index.js');
      const report = await doctor();
      if (options.json) {
        printJson(report);
      } else {
        printTable(['CHECK', 'STATUS', 'DETAIL'], report.checks.map((c) => [c.name, c.status, c.detail]));
        const fixes = report.checks.filter((c) => c.fix);
        if (fixes.length) process.stdout.write('\n' + fixes.map((c) => `${c.name}: ${c.fix}`).join('\n') + '\n');
        if (!report.ok) process.stderr.write('error: this host lacks something dropship requires (see "missing" above)\n');
      }
      if (!report.ok) process.exitCode = 1;
    });
}
