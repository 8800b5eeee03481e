import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import type { HomePaths } from '../home.js';
// Not oci/index.js: that face also loads the registry client (see stack/index.ts).
import { type Digest, digestHex, sha256Digest } from '../oci/digest.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readTextIfExists } from '../util/fs.js';
import { type StackPackage, sortPackages } from './packages.js';

/** The parts of an SPDX 2.3 document dropship writes (spdx.github.io/spdx-spec/v2.3). */
export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  packages: SpdxPackage[];
  relationships: Array<{ spdxElementId: string; relationshipType: 'DESCRIBES' | 'CONTAINS'; relatedSpdxElement: string }>;
}

export interface SpdxPackage {
  name: string;
  SPDXID: string;
  versionInfo: string;
  downloadLocation: 'NOASSERTION';
  filesAnalyzed: false;
  supplier?: string;
  primaryPackagePurpose?: 'OPERATING-SYSTEM';
  checksums?: Array<{ algorithm: 'SHA256'; checksumValue: string }>;
  externalRefs?: Array<{ referenceCategory: 'PACKAGE-MANAGER'; referenceType: 'purl'; referenceLocator: string }>;
}

export interface SbomInput {
  stack: string;
  diffId: Digest;
  packages: StackPackage[];
  /** Seconds since 1970: the build's reproducible epoch, so the same build gives the same bytes. */
  epoch: number;
}

const STACK_ID = 'SPDXRef-Stack';

/**
 * The SBOM of one stack build: the stack layer as the described package, each Debian package
 * CONTAINed in it with a purl. Everything comes from the inputs — no wall-clock time, no host
 * name, no random namespace — so an image label can carry its digest and stay reproducible.
 */
export function stackSbom({ stack, diffId, packages, epoch }: SbomInput): SpdxDocument {
  const sorted = sortPackages(packages);
  const debs: SpdxPackage[] = sorted.map((p, i) => ({
    name: p.name,
    SPDXID: `SPDXRef-Package-${i + 1}-${p.name.replace(/[^A-Za-z0-9.-]/g, '-')}`,
    versionInfo: p.version,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    supplier: 'Organization: Debian',
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: debPurl(p) }],
  }));
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `dropship stack ${stack} ${diffId}`,
    documentNamespace: `urn:dropship:stack:${stack}:${diffId}`,
    creationInfo: { created: new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'), creators: ['Tool: dropship'] },
    packages: [
      {
        name: stack,
        SPDXID: STACK_ID,
        versionInfo: diffId,
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        primaryPackagePurpose: 'OPERATING-SYSTEM',
        checksums: [{ algorithm: 'SHA256', checksumValue: digestHex(diffId) }],
      },
      ...debs,
    ],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: STACK_ID },
      ...debs.map((d) => ({ spdxElementId: STACK_ID, relationshipType: 'CONTAINS' as const, relatedSpdxElement: d.SPDXID })),
    ],
  };
}

/** pkg:deb/debian/NAME@VERSION?arch=ARCH (github.com/package-url/purl-spec), name and version percent-encoded. */
export function debPurl(p: StackPackage): string {
  return `pkg:deb/debian/${encodeURIComponent(p.name)}@${encodeURIComponent(p.version)}?arch=${encodeURIComponent(p.arch)}`;
}

/** The Debian packages an SBOM lists (the stack package itself left out). */
export function sbomPackages(doc: SpdxDocument): StackPackage[] {
  return doc.packages
    .filter((p) => p.SPDXID !== STACK_ID)
    .map((p) => ({ name: p.name, version: p.versionInfo, arch: archOf(p) }));
}

function archOf(p: SpdxPackage): string {
  const purl = p.externalRefs?.find((r) => r.referenceType === 'purl')?.referenceLocator ?? '';
  return decodeURIComponent(/[?&]arch=([^&]+)/.exec(purl)?.[1] ?? 'unknown');
}

export function sbomBytes(doc: SpdxDocument): Buffer {
  return Buffer.from(JSON.stringify(doc, null, 2) + '\n');
}

/** Where a build's SBOM lives: beside the stack's metadata, one file per build (named by its layer). */
export function sbomPath(home: HomePaths, stack: string, diffId: Digest): string {
  return join(home.stacks, stack, `${digestHex(diffId)}.spdx.json`);
}

export interface WrittenSbom {
  path: string;
  digest: Digest;
  packages: number;
}

export async function writeSbom(home: HomePaths, input: SbomInput): Promise<WrittenSbom> {
  const bytes = sbomBytes(stackSbom(input));
  const path = sbomPath(home, input.stack, input.diffId);
  await writeFileAtomic(path, bytes);
  return { path, digest: sha256Digest(bytes), packages: sortPackages(input.packages).length };
}

export async function readSbom(home: HomePaths, stack: string, diffId: Digest): Promise<SpdxDocument | undefined> {
  const path = sbomPath(home, stack, diffId);
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as SpdxDocument;
  } catch (error) {
    throw new DropshipError('STACK_SBOM_CORRUPT', `${path} is not valid JSON`, {
      cause: error,
      hint: `build the stack again to rewrite it: dropship stack build ${stack} --force`,
    });
  }
}
