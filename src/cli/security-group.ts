import type { Command } from 'commander';
import { DropshipError } from '../errors.js';
import { printJson, printTable } from './output.js';

interface BindOptions {
  running?: boolean;
  staging?: boolean;
  app?: string;
}

async function readRules(path: string): Promise<unknown> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = path === '-' ? await new Response(process.stdin as unknown as ReadableStream).text() : await readFile(path, 'utf8');
  } catch (error) {
    throw new DropshipError('RULES_FILE', `cannot read rules file ${path}: ${(error as Error).message}`, {
      hint: 'give the path of a JSON file holding a list of rules (or - for stdin)',
      cause: error,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DropshipError('RULES_FILE', `${path}: not valid JSON: ${(error as Error).message}`, {
      hint: 'write a JSON list like [{"protocol":"tcp","destination":"10.0.0.0/8","ports":"443"}]',
      cause: error,
    });
  }
}

function target(options: BindOptions): { kind: 'running' | 'staging'; app?: string } {
  if (Boolean(options.running) === Boolean(options.staging)) {
    throw new DropshipError('INVALID_OPTION', 'say which containers: --running or --staging (one of them)', {
      hint: 'e.g. dropship security-group bind my-group --running --app shop',
    });
  }
  return { kind: options.running ? 'running' : 'staging', ...(options.app ? { app: options.app } : {}) };
}

function applied(report: { updated: string[] }): string {
  return report.updated.length ? `; applied to ${report.updated.length} running container(s)` : '';
}

export function register(program: Command): void {
  const group = program
    .command('security-group')
    .description('application security groups: what containers may reach (everything else is refused)');

  group
    .command('create <name> <rules.json>')
    .description('create a group from a JSON list of Cloud Foundry rules (- reads stdin)')
    .action(async (name: string, file: string) => {
      const lib = await import('../network/index.js');
      const report = await lib.createSecurityGroup(name, await readRules(file));
      process.stdout.write(`Created security group ${name}${applied(report)}\n`);
    });

  group
    .command('update <name> <rules.json>')
    .description("replace a group's rules; containers it is bound to change at once")
    .action(async (name: string, file: string) => {
      const lib = await import('../network/index.js');
      const report = await lib.updateSecurityGroup(name, await readRules(file));
      process.stdout.write(`Updated security group ${name}${applied(report)}\n`);
    });

  group
    .command('delete <name>')
    .description('delete a group and its bindings')
    .action(async (name: string) => {
      const lib = await import('../network/index.js');
      const report = await lib.deleteSecurityGroup(name);
      process.stdout.write(`Deleted security group ${name}${applied(report)}\n`);
    });

  group
    .command('ls')
    .description('list groups, their rules and bindings')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const lib = await import('../network/index.js');
      const groups = await lib.listSecurityGroups();
      if (options.json) return printJson(groups);
      printTable(
        ['NAME', 'RULES', 'BOUND TO'],
        groups.map((g) => [
          g.name,
          String(g.rules.length),
          g.bindings.map((b) => (b.app ? `${b.kind} (app ${b.app})` : `${b.kind} (all apps)`)).join(', ') || '-',
        ]),
      );
    });

  for (const verb of ['bind', 'unbind'] as const) {
    group
      .command(`${verb} <name>`)
      .description(verb === 'bind' ? 'apply a group to running or staging containers, now and from now on' : 'remove a binding; what it opened closes at once')
      .option('--running', 'running app instances and tasks')
      .option('--staging', 'staging containers')
      .option('--app <app>', 'only this app (default: every app)')
      .action(async (name: string, options: BindOptions) => {
        const lib = await import('../network/index.js');
        const where = target(options);
        const report = verb === 'bind' ? await lib.bindSecurityGroup(name, where) : await lib.unbindSecurityGroup(name, where);
        const scope = `${where.kind}${where.app ? ` containers of app ${where.app}` : ' containers of every app'}`;
        process.stdout.write(`${verb === 'bind' ? 'Bound' : 'Unbound'} ${name} ${verb === 'bind' ? 'to' : 'from'} ${scope}${applied(report)}\n`);
      });
  }
}
