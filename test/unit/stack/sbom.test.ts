import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { debPurl, sbomBytes, sbomPackages, stackSbom, type SpdxDocument } from '../../../src/stack/sbom.js';

const DIFF_ID = `sha256:${'ab'.repeat(32)}` as const;
const packages = [
  { name: 'openssl', version: '3.0.15-1~deb12u1', arch: 'amd64' },
  { name: 'busybox-static', version: '1:1.35.0-4+b3', arch: 'amd64' },
  { name: 'libstdc++6', version: '12.2.0-14', arch: 'amd64' },
  { name: 'ca-certificates', version: '20230311', arch: 'all' },
];

/**
 * The fields SPDX 2.3 requires (spec chapters 6 and 7, and its JSON schema): a checker written
 * from the spec, independent of the writer, so a missing or malformed field fails here.
 */
function spdxProblems(doc: SpdxDocument): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, what: string) => ok || problems.push(what);
  need(doc.spdxVersion === 'SPDX-2.3', 'spdxVersion');
  need(doc.dataLicense === 'CC0-1.0', 'dataLicense must be CC0-1.0');
  need(doc.SPDXID === 'SPDXRef-DOCUMENT', 'document SPDXID');
  need(typeof doc.name === 'string' && doc.name.length > 0, 'name');
  need(/^[a-z][a-z0-9+.-]*:[^#\s]+$/i.test(doc.documentNamespace), 'documentNamespace must be an absolute URI without #');
  need(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(doc.creationInfo?.created ?? ''), 'creationInfo.created (YYYY-MM-DDThh:mm:ssZ)');
  need((doc.creationInfo?.creators ?? []).length > 0 && doc.creationInfo.creators.every((c) => /^(Tool|Organization|Person): \S/.test(c)), 'creationInfo.creators');
  const ids = new Set<string>(['SPDXRef-DOCUMENT']);
  for (const p of doc.packages) {
    need(typeof p.name === 'string' && p.name.length > 0, `package name`);
    need(/^SPDXRef-[A-Za-z0-9.-]+$/.test(p.SPDXID), `package SPDXID ${p.SPDXID}`);
    need(!ids.has(p.SPDXID), `duplicate SPDXID ${p.SPDXID}`);
    ids.add(p.SPDXID);
    need(p.downloadLocation === 'NOASSERTION' || p.downloadLocation === 'NONE' || /:/.test(p.downloadLocation), `downloadLocation of ${p.name}`);
    // filesAnalyzed defaults to true, which would require packageVerificationCode.
    need(p.filesAnalyzed === false || 'packageVerificationCode' in p, `filesAnalyzed/packageVerificationCode of ${p.name}`);
    for (const c of p.checksums ?? []) need(c.algorithm === 'SHA256' && /^[0-9a-f]{64}$/.test(c.checksumValue), `checksum of ${p.name}`);
    for (const r of p.externalRefs ?? []) need(r.referenceCategory === 'PACKAGE-MANAGER' && r.referenceType === 'purl' && /^pkg:[a-z]+\/.+@.+/.test(r.referenceLocator), `externalRef of ${p.name}`);
  }
  for (const r of doc.relationships) need(ids.has(r.spdxElementId) && ids.has(r.relatedSpdxElement), `relationship ${r.spdxElementId} ${r.relationshipType} ${r.relatedSpdxElement}`);
  need(doc.relationships.some((r) => r.spdxElementId === 'SPDXRef-DOCUMENT' && r.relationshipType === 'DESCRIBES'), 'the document DESCRIBES something');
  return problems;
}

test('the stack SBOM has every field SPDX 2.3 requires', () => {
  const doc = stackSbom({ stack: 'tiny', diffId: DIFF_ID, packages, epoch: 315532801 });
  assert.equal(spdxProblems(doc), []);
  assert.is(doc.creationInfo.created, '1980-01-01T00:00:01Z');
  assert.is(doc.packages.length, 5);
  assert.is(doc.relationships.filter((r) => r.relationshipType === 'CONTAINS').length, 4);
});

test('the checker itself catches a broken document', () => {
  const doc = stackSbom({ stack: 'tiny', diffId: DIFF_ID, packages, epoch: 0 });
  const broken = JSON.parse(JSON.stringify(doc)) as SpdxDocument & { packages: Array<Record<string, unknown>> };
  delete (broken.packages[1] as { filesAnalyzed?: unknown }).filesAnalyzed;
  broken.packages[2]!.SPDXID = 'SPDXRef-has+plus';
  broken.documentNamespace = 'not a uri';
  assert.equal(spdxProblems(broken as SpdxDocument), ['documentNamespace must be an absolute URI without #', 'filesAnalyzed/packageVerificationCode of busybox-static', 'package SPDXID SPDXRef-has+plus', 'relationship SPDXRef-Stack CONTAINS SPDXRef-Package-2-ca-certificates']);
});

test('the same build gives the same bytes whatever order the packages came in; a version change gives other bytes', () => {
  const a = sbomBytes(stackSbom({ stack: 'tiny', diffId: DIFF_ID, packages, epoch: 1 }));
  const b = sbomBytes(stackSbom({ stack: 'tiny', diffId: DIFF_ID, packages: [...packages].reverse(), epoch: 1 }));
  assert.is(a.toString(), b.toString());
  const changed = packages.map((p) => (p.name === 'openssl' ? { ...p, version: '3.0.17-1~deb12u2' } : p));
  assert.is.not(sbomBytes(stackSbom({ stack: 'tiny', diffId: DIFF_ID, packages: changed, epoch: 1 })).toString(), a.toString());
});

test('purls percent-encode epochs and plus signs, and the package list reads back', () => {
  assert.is(debPurl({ name: 'libstdc++6', version: '1:1.35.0-4+b3', arch: 'amd64' }), 'pkg:deb/debian/libstdc%2B%2B6@1%3A1.35.0-4%2Bb3?arch=amd64');
  const doc = stackSbom({ stack: 'tiny', diffId: DIFF_ID, packages, epoch: 1 });
  assert.equal(
    sbomPackages(doc),
    [...packages].sort((x, y) => (x.name < y.name ? -1 : 1)),
  );
});

test.run();
