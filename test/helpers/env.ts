import { randomBytes } from 'node:crypto';

/**
 * Integration tests share one store so that stacks and unpacked layers are built once per
 * machine; everything else they create is named uniquely and removed by name.
 */
export const TEST_HOME = process.env.DROPSHIP_TEST_HOME ?? '/var/tmp/dropship-test';
process.env.DROPSHIP_HOME = TEST_HOME;

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export const isRoot = process.getuid?.() === 0;
