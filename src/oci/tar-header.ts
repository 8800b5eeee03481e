import { DropshipError } from '../errors.js';

/** One tar entry as dropship writes it: ustar, with a PAX header only when ustar cannot say it. */
export interface TarHeader {
  /** Path inside the archive, no leading `/` or `./`; directories may end with `/`. */
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes, written as PAX `SCHILY.xattr.<name>` records (what GNU tar and umoci read). */
  xattrs?: Record<string, Buffer>;
}

const TYPEFLAG: Record<TarHeader['type'], string> = {
  file: '0',
  link: '1',
  symlink: '2',
  'character-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
};

/**
 * The xattrs a layer carries, both ways (packing and unpacking): file capabilities and user
 * attributes. Labels like security.selinux belong to the host that wrote them, and trusted.overlay.*
 * in a layer could forge whiteouts.
 */
const LAYER_XATTR = /^(security\.capability|user\..+)$/;
export function isLayerXattr(name: string): boolean {
  return LAYER_XATTR.test(name);
}

const BLOCK = 512;
/** Largest value of the 8-byte octal fields (7 digits). */
const MAX_ID = 0o7777777;
/** Largest value of the 12-byte size field (11 octal digits). */
const MAX_SIZE = 0o77777777777;

export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);

export function paddingFor(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

function isAscii(s: string): boolean {
  return /^[\x01-\x7f]*$/.test(s);
}

/** Split a long path at a `/` into ustar's prefix (155 bytes) and name (100 bytes). */
function splitUstarPath(path: string): { prefix: string; name: string } | undefined {
  if (!isAscii(path)) return undefined;
  if (path.length <= 100) return { prefix: '', name: path };
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (prefix.length <= 155 && name.length <= 100 && name.length > 0) return { prefix, name };
    if (prefix.length > 155) break;
  }
  return undefined;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length)), body]);
}

function ustarBlock(fields: {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  devmajor: number;
  devminor: number;
}): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, 100, 'utf8');
  block.write(octal(fields.mode & 0o7777, 8), 100, 'ascii');
  block.write(octal(fields.uid, 8), 108, 'ascii');
  block.write(octal(fields.gid, 8), 116, 'ascii');
  block.write(octal(fields.size, 12), 124, 'ascii');
  block.write(octal(fields.mtime, 12), 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write(fields.typeflag, 156, 'ascii');
  block.write(fields.linkname, 157, 100, 'utf8');
  block.write('ustar\x0000', 257, 'ascii');
  // uname/gname (265, 297) stay empty: names differ between hosts, ids are what count.
  block.write(octal(fields.devmajor, 8), 329, 'ascii');
  block.write(octal(fields.devminor, 8), 337, 'ascii');
  block.write(fields.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + ' ', 148, 'ascii');
  return block;
}

/**
 * The header block(s) of one entry. Deterministic: the same header gives the same bytes, PAX
 * records in a fixed order, no atime/ctime, no user or group names.
 */
export function encodeHeader(header: TarHeader): Buffer {
  const size = header.type === 'file' ? (header.size ?? 0) : 0;
  let name = header.name;
  if (header.type === 'directory' && !name.endsWith('/')) name += '/';
  if (!name || name.startsWith('/')) {
    throw new DropshipError('TAR_BAD_ENTRY', `tar entry '${header.name}': names must be relative and not empty`, {
      hint: 'this is a bug in the caller of packEntries',
    });
  }
  const linkname = header.linkname ?? '';
  const pax: Buffer[] = [];
  const split = splitUstarPath(name);
  if (!split) pax.push(paxRecord('path', Buffer.from(name)));
  if (linkname.length > 100 || !isAscii(linkname)) pax.push(paxRecord('linkpath', Buffer.from(linkname)));
  if (size > MAX_SIZE) pax.push(paxRecord('size', Buffer.from(String(size))));
  if (header.uid > MAX_ID) pax.push(paxRecord('uid', Buffer.from(String(header.uid))));
  if (header.gid > MAX_ID) pax.push(paxRecord('gid', Buffer.from(String(header.gid))));
  for (const key of Object.keys(header.xattrs ?? {}).sort()) {
    pax.push(paxRecord(`SCHILY.xattr.${key}`, header.xattrs![key]!));
  }
  const fields = {
    name: split ? split.name : name.slice(0, 100),
    prefix: split ? split.prefix : '',
    mode: header.mode,
    uid: header.uid > MAX_ID ? 0 : header.uid,
    gid: header.gid > MAX_ID ? 0 : header.gid,
    size: size > MAX_SIZE ? 0 : size,
    mtime: Math.max(0, Math.floor(header.mtime)),
    typeflag: TYPEFLAG[header.type],
    linkname: linkname.length > 100 || !isAscii(linkname) ? '' : linkname,
    devmajor: header.devmajor ?? 0,
    devminor: header.devminor ?? 0,
  };
  const main = ustarBlock(fields);
  if (pax.length === 0) return main;
  const body = Buffer.concat(pax);
  const paxName = `PaxHeaders/${(split?.name ?? name).replace(/\/$/, '').split('/').pop()!.slice(0, 80)}`;
  const paxHeader = ustarBlock({ ...fields, name: isAscii(paxName) ? paxName : 'PaxHeaders/entry', prefix: '', size: body.length, typeflag: 'x', linkname: '' });
  return Buffer.concat([paxHeader, body, paddingFor(body.length), main]);
}
