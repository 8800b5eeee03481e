/**
 * Go's `path/filepath.Match` syntax (what buildpack.md names for `[[slices]] paths`), compiled to
 * a RegExp once: `*` any run of non-`/` characters, `?` one non-`/` character, `[...]` a class
 * (`^` negates, `a-z` ranges, must be non-empty), `\` escapes. A malformed pattern is refused when
 * compiled (Go only notices it while matching), so a bad slice fails the build, never silently.
 */
export class GlobError extends Error {}

const SPECIAL = /[.*+?^${}()|[\]\\/]/g;
const literal = (c: string) => c.replace(SPECIAL, '\\$&');
const classLiteral = (c: string) => c.replace(/[\\\]\[^-]/g, '\\$&');

export function compileGlob(pattern: string): RegExp {
  let out = '';
  let i = 0;
  const escaped = (): string => {
    // Inside a class: `\x` is x; `-` and `]` unescaped where a character is due are errors (as Go).
    let c = pattern[i];
    if (c === undefined || c === '-' || c === ']') throw new GlobError('a character class is unfinished or has a stray - or ]');
    if (c === '\\') {
      i += 1;
      c = pattern[i];
      if (c === undefined) throw new GlobError('it ends with a lone \\');
    }
    i += 1;
    return c;
  };
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '*') {
      out += '[^/]*';
      i += 1;
    } else if (c === '?') {
      out += '[^/]';
      i += 1;
    } else if (c === '\\') {
      if (i + 1 >= pattern.length) throw new GlobError('it ends with a lone \\');
      out += literal(pattern[i + 1]!);
      i += 2;
    } else if (c === '[') {
      i += 1;
      let cls = '[';
      if (pattern[i] === '^') {
        cls += '^';
        i += 1;
      }
      let ranges = 0;
      for (;;) {
        if (pattern[i] === ']' && ranges > 0) {
          i += 1;
          break;
        }
        const lo = escaped();
        let range = classLiteral(lo);
        if (pattern[i] === '-') {
          i += 1;
          const hi = escaped();
          if (hi < lo) throw new GlobError(`the range ${lo}-${hi} is backwards`);
          range += `-${classLiteral(hi)}`;
        }
        cls += range;
        ranges += 1;
      }
      out += cls + ']';
    } else {
      out += literal(c);
      i += 1;
    }
  }
  return new RegExp(`^${out}$`, 'u');
}
