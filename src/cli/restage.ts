import type { Command } from 'commander';
import { DropshipError } from '../errors.js';
import { printJson } from './output.js';
import { cancellable } from './cancel.js';

export function register(program: Command): void {
  program
    .command('restage')
    .description("stage the app's last pushed source again (same stack and buildpacks, current config) and roll the instances onto it, like cf restage")
    .argument('<app>', 'app name')
    .option('--json', 'print the push summary as JSON (staging output goes to stderr)')
    .action(async (name: string, options: { json?: boolean }) => {
      const room = await import('../push/index.js');
      const { plan, cleanup } = await room.restagePlan(name);
      const say = (line: string) => (options.json ? process.stderr : process.stdout).write(`${line}\n`);
      let summary;
      try {
        say(`Restaging ${name} on ${plan.stack}${plan.buildpacks.length ? ` with ${plan.buildpacks.join(', ')}` : ''}`);
        summary = await cancellable(({ signal }) => room.push(plan, room.realPushSeams(), { onLog: say, onPhase: (phase) => say(`-- ${phase}`), signal }));
      } finally {
        await cleanup();
      }
      if (options.json) printJson(summary);
      else say(`restaged ${name}: ${summary.state}, image ${summary.digest}${summary.url ? `, ${summary.url}` : ''}`);
      if (!room.pushSucceeded(summary, plan)) {
        throw new DropshipError('PUSH_UNHEALTHY', `not every requested instance of '${name}' became healthy after the restage`, {
          hint: `see \`dropship logs ${name} --recent\`; \`dropship rollback ${name}\` goes back to the release before`,
        });
      }
    });
}
