/**
 * `hako export --format k8s-secret`: an environment as a Kubernetes Secret manifest, written
 * as a SOPS file (YAML, `encrypted_regex: ^(data|stringData)$`), so it can be committed to a
 * GitOps repository and decrypted in the cluster by Flux's kustomize-controller (or `sops -d`)
 * with its own age key. Only `data` is encrypted; `apiVersion`, `kind` and `metadata` stay
 * readable for kustomize. Values go in `data` as base64, so any value (several lines, any
 * bytes hako stores) survives. The plaintext manifest exists only in memory.
 *
 * The values end up as a pod's environment when it uses `envFrom`, so names that change what
 * a process does are refused unless allowed, as in every hand-off.
 */
import { HakoError } from '../core/errors.js';
import { assertNoProcessControl, deliveredVariables } from '../core/process-control-names.js';
import { assertEnvName } from '../core/names.js';
import type { ServiceContext } from './context.js';
import { findProject, loadSecretsFile, openEnvironment, requireEnvironment } from './project.js';
import { decryptValues } from './secrets.js';
import { sopsEncrypt } from './sops.js';

export const K8S_ENCRYPTED_REGEX = '^(data|stringData)$';
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface K8sSecretRequest {
  env: string;
  /** metadata.name (default: "<env>-secrets"). */
  name?: string;
  namespace?: string;
  /** age recipients to encrypt to (Flux's key, a teammate's); else a matching .sops.yaml rule. */
  age?: string[];
  /** The path the manifest will have, for .sops.yaml path_regex matching. */
  path?: string;
  allow?: ReadonlySet<string>;
}

export async function exportK8sSecret(ctx: ServiceContext, req: K8sSecretRequest): Promise<string> {
  const env = assertEnvName(req.env);
  const name = req.name ?? `${env}-secrets`;
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name))
    throw new HakoError(
      'E_USAGE',
      'the Secret name must be a DNS subdomain (lower-case letters, digits, "-" and ".")',
      'e.g. --name web-secrets',
    );
  if (req.namespace !== undefined && !DNS_LABEL.test(req.namespace))
    throw new HakoError('E_USAGE', 'the namespace must be a DNS label (lower-case letters, digits and "-")', 'e.g. --namespace production');
  const project = findProject(ctx);
  const file = loadSecretsFile(project);
  const record = requireEnvironment(file, env);
  const opened = await openEnvironment(ctx, project, file, env);
  assertNoProcessControl(deliveredVariables(record.secrets.keys(), 'value'), req.allow ?? new Set(), 'hako export --format k8s-secret');
  const values = decryptValues(record, opened);
  if (values.size === 0)
    throw new HakoError('E_USAGE', `environment '${env}' has no secrets to export`, `set one: hako set NAME --env ${env}`);
  const lines = ['apiVersion: v1', 'kind: Secret', 'metadata:', `  name: ${name}`];
  if (req.namespace) lines.push(`  namespace: ${req.namespace}`);
  lines.push('  labels:', '    app.kubernetes.io/managed-by: hako', 'type: Opaque', 'data:');
  for (const k of [...values.keys()].sort()) lines.push(`  ${k}: ${Buffer.from(values.get(k)!, 'utf8').toString('base64')}`);
  values.clear();
  const input = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
  try {
    return await sopsEncrypt(ctx, {
      path: req.path ?? `${name}.secret.yaml`,
      type: 'yaml',
      input,
      ...(req.age?.length ? { age: req.age } : {}),
      rule: { field: 'encrypted_regex', value: K8S_ENCRYPTED_REGEX },
    });
  } finally {
    input.fill(0);
  }
}
