import { DropshipError } from '../errors.js';
import type { PortMapping } from './types.js';

export const DEFAULT_CONTAINER_PORT = 8080;
export const PORT_POOL_START = 61001;
export const PORT_POOL_END = 65000;

function port(text: string, spec: string, allowZero: boolean): number {
  const value = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(value >= (allowZero ? 0 : 1) && value <= 65535)) {
    throw new DropshipError('INVALID_PORT_MAPPING', `-p ${spec}: '${text}' is not a port`, {
      hint: 'write -p HOSTPORT[:CONTAINERPORT], e.g. -p 8000 or -p 8000:3000; -p :3000 takes a host port from the pool',
    });
  }
  return value;
}

/** Parse `HOSTPORT[:CONTAINERPORT]`; an empty or 0 host port means "from the pool". */
export function parsePortMapping(spec: string): PortMapping {
  const [hostText, containerText, ...rest] = spec.split(':');
  if (rest.length) port('', spec, false);
  const host = hostText === '' ? 0 : port(hostText!, spec, true);
  const mapping: PortMapping = {};
  if (host !== 0) mapping.host = host;
  mapping.container = containerText === undefined ? DEFAULT_CONTAINER_PORT : port(containerText, spec, false);
  return mapping;
}
