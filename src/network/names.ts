import { createHash } from 'node:crypto';

export const BRIDGE = 'dropship0';
export const FORWARD_CHAIN = 'DROPSHIP-FORWARD';
export const INPUT_CHAIN = 'DROPSHIP-INPUT';
export const OUTPUT_CHAIN = 'DROPSHIP-OUTPUT';
export const PREROUTING_CHAIN = 'DROPSHIP-PREROUTING';
export const POSTROUTING_CHAIN = 'DROPSHIP-POSTROUTING';

/** Container ids can be long; interface names stop at 15 characters, chain names at 28. */
export function shortId(containerId: string): string {
  return createHash('sha256').update(containerId).digest('hex').slice(0, 10);
}

export const vethName = (short: string): string => `ds-${short}`;
export const sgChain = (short: string): string => `DROPSHIP-SG-${short}`;
/** Every rule dropship adds for a container carries this comment, so leftovers can be found. */
export const ruleTag = (short: string): string => `dropship:${short}`;

export const CHAIN_PATTERN = /^DROPSHIP-SG-([0-9a-f]{10})$/;
