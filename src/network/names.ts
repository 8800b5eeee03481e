import { createHash } from 'node:crypto';

/**
 * No bridge: each container has a routed point-to-point veth (as Cloud Foundry's Silk and Calico),
 * so no container shares an L2 segment with another and ARP from one cannot reach the host's
 * entries for its neighbours. Rules match every container veth by this iptables wildcard.
 */
export const VETH_PREFIX = 'ds-';
export const VETHS = `${VETH_PREFIX}+`;
/** The bridge older dropship versions put every container on; removed once nothing is plugged into it. */
export const LEGACY_BRIDGE = 'dropship0';
export const FORWARD_CHAIN = 'DROPSHIP-FORWARD';
export const INPUT_CHAIN = 'DROPSHIP-INPUT';
export const OUTPUT_CHAIN = 'DROPSHIP-OUTPUT';
export const PREROUTING_CHAIN = 'DROPSHIP-PREROUTING';
export const POSTROUTING_CHAIN = 'DROPSHIP-POSTROUTING';
/** raw PREROUTING, before conntrack: a packet from a veth with another source address is dropped. */
export const ANTISPOOF_CHAIN = 'DROPSHIP-ANTISPOOF';

/** Container ids can be long; interface names stop at 15 characters, chain names at 28. */
export function shortId(containerId: string): string {
  return createHash('sha256').update(containerId).digest('hex').slice(0, 10);
}

export const vethName = (short: string): string => `${VETH_PREFIX}${short}`;
export const sgChain = (short: string): string => `DROPSHIP-SG-${short}`;
/** Every rule dropship adds for a container carries this comment, so leftovers can be found. */
export const ruleTag = (short: string): string => `dropship:${short}`;
/** The container short id a rule's `--comment dropship:SHORT` tags it with (iptables-save may quote it). */
export const taggedShort = (rule: string): string | undefined => /--comment "?dropship:([0-9a-f]{10})"?/.exec(rule)?.[1];

export const CHAIN_PATTERN = /^DROPSHIP-SG-([0-9a-f]{10})$/;

/**
 * A data path (host port → healthy backends) is named by its owner within its store: iptables is
 * host-wide, and two stores may both have an owner 'web'. The store tag in the jump's comment
 * lets `gc` touch only its own store's data paths.
 */
export function dataPathShort(home: string, owner: string): string {
  return createHash('sha256').update(`${home}\0${owner}`).digest('hex').slice(0, 10);
}
export const storeTag = (home: string): string => createHash('sha256').update(home).digest('hex').slice(0, 8);
export const dpChain = (short: string): string => `DROPSHIP-DP-${short}`;
export const dpTag = (short: string, store: string): string => `dropship-dp:${short}:${store}`;
export const DP_CHAIN_PATTERN = /^DROPSHIP-DP-([0-9a-f]{10})$/;
export const DP_TAG_PATTERN = /dropship-dp:([0-9a-f]{10}):([0-9a-f]{8})/;
