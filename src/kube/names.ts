import { createHash } from 'node:crypto';
import type { KubeRelease } from './types.js';

/**
 * Object names must be DNS-1123 labels (lower case, digits, '-', starting with a letter so that
 * Service names are valid too); dropship's app names allow upper case, '_' and '.'. A name that had
 * to change or be shortened gets a hash of the original, so two apps never collide on one name.
 * 52 is the longest StatefulSet name whose pods still get a valid controller-revision-hash label.
 */
export function objectName(text: string, max = 52): string {
  let name = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  if (!/^[a-z]/.test(name)) name = `app-${name}`.replace(/-$/, '');
  if (name === text && name.length <= max) return name;
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 6);
  return `${name.slice(0, max - 7).replace(/-$/, '')}-${hash}`;
}

/** Label values: up to 63 of [A-Za-z0-9_.-], alphanumeric at both ends. */
export function labelValue(text: string): string {
  const value = text.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return value || 'x';
}

export const LABELS = {
  name: 'app.kubernetes.io/name',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  version: 'app.kubernetes.io/version',
  app: 'io.dropship/app',
  process: 'io.dropship/process',
  release: 'io.dropship/release',
} as const;

export const ANNOTATIONS = {
  image: 'io.dropship/image',
  digest: 'io.dropship/image-digest',
  app: 'io.dropship/app-name',
  envDigest: 'io.dropship/env-digest',
} as const;

/** What selects an app's pods (all process types): never the release, which changes on every push. */
export function appSelector(release: KubeRelease): Record<string, string> {
  return { [LABELS.app]: labelValue(release.app) };
}

export function processSelector(release: KubeRelease, type: string): Record<string, string> {
  return { ...appSelector(release), [LABELS.process]: labelValue(type) };
}

/** Labels on every object: app, process (when there is one), release, and who manages it. */
export function labelsFor(release: KubeRelease, type?: string): Record<string, string> {
  return {
    [LABELS.name]: labelValue(release.app),
    ...(type ? { [LABELS.component]: labelValue(type) } : {}),
    [LABELS.managedBy]: 'dropship',
    ...appSelector(release),
    ...(type ? { [LABELS.process]: labelValue(type) } : {}),
    ...(release.releaseVersion === undefined ? {} : { [LABELS.release]: String(release.releaseVersion), [LABELS.version]: String(release.releaseVersion) }),
  };
}

/** The digest is 71 characters, too long for a label value: an annotation, as is the full image reference. */
export function annotationsFor(release: KubeRelease): Record<string, string> {
  const digest = release.imageRef.slice(release.imageRef.indexOf('@') + 1);
  return { [ANNOTATIONS.app]: release.app, [ANNOTATIONS.image]: release.imageRef, [ANNOTATIONS.digest]: digest };
}
