import type { IDeployment, IStatefulSet } from 'kubernetes-models/apps/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { ISecret, IService } from 'kubernetes-models/v1';
import type { SecurityGroupRule } from '../network/types.js';

export type HealthCheckKind = 'port' | 'http' | 'process';

/** One process type of a release, in the units dropship keeps (bytes, seconds). */
export interface KubeProcess {
  type: string;
  /** Start command, run through the image's launcher; absent: the image's own Cmd (web). */
  command?: string;
  /**
   * Replaces the image's ENTRYPOINT: a Cloud Native Buildpacks image's is its default process's
   * link, so another type runs as /cnb/process/<type> and a command through /cnb/lifecycle/launcher.
   */
  entrypoint?: string[];
  instances: number;
  memoryBytes: number;
  diskBytes: number;
  healthCheck: { type: HealthCheckKind; endpoint?: string; timeoutSeconds: number };
  stopTimeoutSeconds: number;
}

export type ProfileChoice = 'Localhost' | 'RuntimeDefault';

/**
 * What the manifests are made from: an app's current release, already resolved to plain data.
 * The mapping (manifests.ts) reads nothing else, so it is pure and testable without a host.
 */
export interface KubeRelease {
  app: string;
  /** A guid, stable for the app's life (VCAP_APPLICATION.application_id). */
  appId?: string;
  releaseVersion?: number;
  /** REGISTRY/REPO@sha256:…: by digest only, so every node runs the same bytes. */
  imageRef: string;
  processes: KubeProcess[];
  /** The user's env (`-e`, set-env): goes into a Secret, never into the pod spec in clear. */
  env: Record<string, string>;
  /** VCAP_SERVICES, keyed by service label; it carries credentials, so it goes into the Secret too. */
  services: Record<string, unknown>;
  /** The rules of every security group bound to the app's running containers. */
  securityGroupRules: SecurityGroupRule[];
  namespace?: string;
  seccomp: ProfileChoice;
  apparmor: ProfileChoice;
  /** StatefulSet (default, as Korifi: the instance index is the ordinal) or Deployment. */
  workload?: WorkloadKind;
}

export type WorkloadKind = 'StatefulSet' | 'Deployment';

export interface KubeMetadata {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * The objects dropship writes, typed by the Kubernetes API's own field names (kubernetes-models),
 * so a misspelt or misplaced field fails to compile; always named.
 */
export type KubeObject = (ISecret | INetworkPolicy | IService | IStatefulSet | IDeployment) & { metadata: KubeMetadata };

/** A file the nodes need besides the objects (seccomp JSON for the kubelet, AppArmor profile text). */
export interface KubeFile {
  /** Relative to the output directory, e.g. `seccomp/dropship-default.json`. */
  path: string;
  content: string;
}

export interface KubeManifests {
  objects: KubeObject[];
  files: KubeFile[];
  /** What Kubernetes cannot express and was left out (ICMP rules, …), one sentence each. */
  warnings: string[];
}
