import { createHash } from 'node:crypto';
import { DropshipError } from '../errors.js';
import { apparmorProfileText, defaultSeccompProfile, type SeccompProfile } from '../security/index.js';
import type { KubeFile, ProfileChoice } from './types.js';

/** Fields of a rule that the kubelet's seccomp loaders (containerd, CRI-O: Docker's format) read. */
const RULE_FIELDS = new Set(['names', 'action', 'errnoRet', 'args', 'comment']);
const ARG_FIELDS = new Set(['index', 'value', 'valueTwo', 'op']);
const PROFILE_FIELDS = new Set(['defaultAction', 'defaultErrnoRet', 'architectures', 'syscalls']);

function refuseUnknown(fields: Set<string>, value: object, where: string): void {
  const unknown = Object.keys(value).filter((key) => !fields.has(key));
  if (unknown.length) {
    throw new DropshipError('SECCOMP_NOT_CONVERTIBLE', `seccomp profile: ${where} has ${unknown.join(', ')}, which the kubelet's profile format has no field for`, {
      hint: 'this is a bug in dropship: src/kube/profiles.ts must learn the new field before profiles can go to Kubernetes',
    });
  }
}

/**
 * dropship's runtime seccomp (the OCI runtime-spec `linux.seccomp` runc gets) as the JSON file a
 * kubelet loads for `seccompProfile: {type: Localhost}`: Docker's profile format, which shares the
 * field names. Fields are copied by name and anything unknown is refused, so a filter added to the
 * runtime profile can never be dropped on the way to a cluster without anyone noticing.
 */
export function kubeletSeccompJson(profile: SeccompProfile = defaultSeccompProfile()): string {
  refuseUnknown(PROFILE_FIELDS, profile, 'the profile');
  const syscalls = profile.syscalls.map((rule, i) => {
    refuseUnknown(RULE_FIELDS, rule, `rule ${i + 1} (${rule.names.join(', ')})`);
    for (const arg of rule.args ?? []) refuseUnknown(ARG_FIELDS, arg, `an argument filter of rule ${i + 1}`);
    return {
      names: rule.names,
      action: rule.action,
      ...(rule.errnoRet === undefined ? {} : { errnoRet: rule.errnoRet }),
      ...(rule.args ? { args: rule.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op })) } : {}),
      ...(rule.comment ? { comment: rule.comment } : {}),
    };
  });
  const json = { defaultAction: profile.defaultAction, defaultErrnoRet: profile.defaultErrnoRet, architectures: profile.architectures, syscalls };
  return JSON.stringify(json, null, 2) + '\n';
}

/** Names carry the content hash: a node holding an older profile under the same name cannot run it by mistake. */
const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

export interface ProfileRefs {
  seccompProfile: { type: ProfileChoice; localhostProfile?: string };
  appArmorProfile: { type: ProfileChoice; localhostProfile?: string };
  files: KubeFile[];
}

/**
 * The pod's seccomp and AppArmor settings, and the files the nodes need for Localhost: the seccomp
 * JSON goes into the kubelet's seccomp directory (localhostProfile is relative to it), the AppArmor
 * profile is loaded with apparmor_parser (localhostProfile is the loaded profile's name).
 */
export function profileRefs(seccomp: ProfileChoice, apparmor: ProfileChoice): ProfileRefs {
  const files: KubeFile[] = [];
  let seccompProfile: ProfileRefs['seccompProfile'] = { type: 'RuntimeDefault' };
  if (seccomp === 'Localhost') {
    const content = kubeletSeccompJson();
    const name = `dropship-${shortHash(content)}.json`;
    files.push({ path: `seccomp/${name}`, content });
    seccompProfile = { type: 'Localhost', localhostProfile: name };
  }
  let appArmorProfile: ProfileRefs['appArmorProfile'] = { type: 'RuntimeDefault' };
  if (apparmor === 'Localhost') {
    const name = `dropship-${shortHash(apparmorProfileText('dropship'))}`;
    files.push({ path: `apparmor/${name}`, content: apparmorProfileText(name) });
    appArmorProfile = { type: 'Localhost', localhostProfile: name };
  }
  return { seccompProfile, appArmorProfile, files };
}
