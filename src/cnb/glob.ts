/**
 * Go's `path/filepath.Match` (what buildpack.md names for `[[slices]] paths`): `*` any run of
 * non-`/` characters, `?` one non-`/` character, `[...]` a class (`^` negates, `a-z` ranges, must
 * be non-empty), `\` escapes. A malformed pattern is refused when compiled (Go only notices it
 * while matching), so a bad slice fails the build, never silently.
 *
 * Matched as Go matches, not through a RegExp: the patterns are a buildpack's, and a backtracking
 * regex of `*a*a*a…` runs for years against one long file name while the exporter holds the image
 * lock. Go takes the leftmost match of each chunk between stars, so a match costs at most
 * (name length × pattern length) steps. Characters are code points, as Go's are runes.
 */
export class GlobError extends Error {}

type Item = { kind: 'char'; c: string } | { kind: 'any' } | { kind: 'class'; negated: boolean; ranges: Array<[number, number]> };

/** A run of items after a (possibly empty) run of stars. */
interface Chunk {
  star: boolean;
  items: Item[];
}

export interface Glob {
  test(name: string): boolean;
}

function parse(pattern: string): Chunk[] {
  const p = Array.from(pattern);
  const chunks: Chunk[] = [];
  let i = 0;
  // Inside a class: `\x` is x; `-` and `]` unescaped where a character is due are errors (as Go).
  const classChar = (): number => {
    let c = p[i];
    if (c === undefined || c === '-' || c === ']') throw new GlobError('a character class is unfinished or has a stray - or ]');
    if (c === '\\') {
      i += 1;
      c = p[i];
      if (c === undefined) throw new GlobError('it ends with a lone \\');
    }
    i += 1;
    return c.codePointAt(0)!;
  };
  while (i < p.length) {
    const chunk: Chunk = { star: false, items: [] };
    while (p[i] === '*') {
      chunk.star = true;
      i += 1;
    }
    while (i < p.length && p[i] !== '*') {
      const c = p[i]!;
      if (c === '?') {
        chunk.items.push({ kind: 'any' });
        i += 1;
      } else if (c === '\\') {
        if (i + 1 >= p.length) throw new GlobError('it ends with a lone \\');
        chunk.items.push({ kind: 'char', c: p[i + 1]! });
        i += 2;
      } else if (c === '[') {
        i += 1;
        const negated = p[i] === '^';
        if (negated) i += 1;
        const ranges: Array<[number, number]> = [];
        for (;;) {
          if (p[i] === ']' && ranges.length > 0) {
            i += 1;
            break;
          }
          const lo = classChar();
          let hi = lo;
          if (p[i] === '-') {
            i += 1;
            hi = classChar();
            if (hi < lo) throw new GlobError(`the range ${String.fromCodePoint(lo)}-${String.fromCodePoint(hi)} is backwards`);
          }
          ranges.push([lo, hi]);
        }
        chunk.items.push({ kind: 'class', negated, ranges });
      } else {
        chunk.items.push({ kind: 'char', c });
        i += 1;
      }
    }
    chunks.push(chunk);
  }
  return chunks;
}

/** Go's matchChunk: the rest of `name` after `items` matched at `at`, or -1. */
function matchChunk(items: Item[], name: string[], at: number): number {
  let j = at;
  for (const item of items) {
    const c = name[j];
    if (c === undefined) return -1;
    if (item.kind === 'char') {
      if (c !== item.c) return -1;
    } else if (item.kind === 'any') {
      if (c === '/') return -1;
    } else {
      const cp = c.codePointAt(0)!;
      if (item.ranges.some(([lo, hi]) => lo <= cp && cp <= hi) === item.negated) return -1;
    }
    j += 1;
  }
  return j;
}

function match(chunks: Chunk[], name: string[]): boolean {
  let at = 0;
  chunks: for (const [k, chunk] of chunks.entries()) {
    const last = k === chunks.length - 1;
    // A trailing * matches the rest unless it has a /.
    if (chunk.star && chunk.items.length === 0) return !name.slice(at).includes('/');
    const here = matchChunk(chunk.items, name, at);
    if (here >= 0 && (here === name.length || !last)) {
      at = here;
      continue;
    }
    if (chunk.star) {
      // The star takes one more character each time, never a /.
      for (let skip = at; skip < name.length && name[skip] !== '/'; skip++) {
        const t = matchChunk(chunk.items, name, skip + 1);
        if (t < 0 || (last && t !== name.length)) continue;
        at = t;
        continue chunks;
      }
    }
    return false;
  }
  return at === name.length;
}

export function compileGlob(pattern: string): Glob {
  const chunks = parse(pattern);
  return { test: (name) => match(chunks, Array.from(name)) };
}
