import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { Secret, Service } from 'kubernetes-models/v1';
import * as assert from 'uvu/assert';
import type { KubeObject } from '../../../src/kube/types.js';

const MODELS: Record<string, new (data: never) => { validate(): void }> = { StatefulSet, Deployment, NetworkPolicy, Secret, Service };
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * The OpenAPI schema check (kubernetes-models' validate()), plus the API server's name rules the
 * schema does not carry: DNS labels for names, label value syntax, Secret key syntax.
 */
export function assertApiValid(object: KubeObject): void {
  const Model = MODELS[object.kind];
  assert.ok(Model, `no model for ${object.kind}`);
  new Model(object as never).validate();
  const where = `${object.kind} ${object.metadata.name}`;
  assert.ok(DNS_LABEL.test(object.metadata.name) && object.metadata.name.length <= 63, `${where}: name is a DNS label`);
  const labelSets = [object.metadata.labels];
  if (object.kind === 'StatefulSet' || object.kind === 'Deployment') {
    const spec = (object as { spec: { template: { metadata: { labels: Record<string, string> } }; selector: { matchLabels: Record<string, string> } } }).spec;
    labelSets.push(spec.template.metadata.labels, spec.selector.matchLabels);
    for (const [k, v] of Object.entries(spec.selector.matchLabels)) assert.is(spec.template.metadata.labels[k], v, `${where}: the selector matches the template`);
    assert.ok(object.metadata.name.length <= 52, `${where}: StatefulSet names ≤ 52 keep controller-revision-hash valid`);
  }
  for (const labels of labelSets) for (const [k, v] of Object.entries(labels)) assert.ok(LABEL_VALUE.test(v) && v.length <= 63, `${where}: label ${k}=${v}`);
  if (object.kind === 'Secret') for (const key of Object.keys((object as { data: object }).data)) assert.ok(SECRET_KEY.test(key), `${where}: key ${key}`);
}
