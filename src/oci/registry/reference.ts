import { DropshipError } from '../../errors.js';

/** `REGISTRY/REPO[:TAG]` or `REGISTRY/REPO@sha256:…`, the first component always being the registry. */
export interface RegistryReference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const REPO_PATTERN = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

export function parseRegistryReference(value: string): RegistryReference {
  const invalid = (why: string) =>
    new DropshipError('INVALID_REFERENCE', `'${value}' is not a registry reference: ${why}`, {
      hint: 'write REGISTRY/REPO[:TAG] or REGISTRY/REPO@sha256:…, e.g. 127.0.0.1:5000/myapp:v1',
    });
  const slash = value.indexOf('/');
  if (slash <= 0) throw invalid('it has no registry host');
  const registry = value.slice(0, slash);
  let rest = value.slice(slash + 1);
  let digest: string | undefined;
  let tag: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_PATTERN.test(digest)) throw invalid(`'${digest}' is not a sha256 digest`);
  }
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_PATTERN.test(tag)) throw invalid(`'${tag}' is not a valid tag`);
  }
  if (!REPO_PATTERN.test(rest)) throw invalid(`'${rest}' is not a valid repository name (lower case, digits, . _ - /)`);
  if (!tag && !digest) tag = 'latest';
  return { registry, repository: rest, tag, digest };
}

export function formatRegistryReference(ref: RegistryReference): string {
  return `${ref.registry}/${ref.repository}${ref.digest ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`}`;
}
