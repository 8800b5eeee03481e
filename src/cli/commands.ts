import type { Command } from 'commander';
import { register as doctor } from './doctor.js';

// One line per command file; each file registers its command(s) and imports the library lazily.
const registrars: Array<(program: Command) => void> = [
  doctor,
];

export function registerCommands(program: Command): void {
  for (const register of registrars) register(program);
}
