// Stack configuration, read and validated once. Every value has a default except the GitHub
// repository (it decides who may assume the CI roles, so it must be stated) and aws:region.
// Placeholder values copied from an example file are refused: a `pulumi up` with them would hand
// the CI roles' trust to somebody else's repository.
import * as pulumi from '@pulumi/pulumi';
import { cognitoConfig, ingressConfig, type CognitoConfig, type IngressConfig } from './edge-config';

export class InfraConfigError extends Error {
  constructor(key: string, problem: string) {
    super(`infra config "${key}": ${problem}`);
    this.name = 'InfraConfigError';
  }
}

export interface DatabaseConfig {
  instanceClass: string;
  allocatedStorageGb: number;
  engineVersion: string;
  multiAz: boolean;
  /** Off only for throwaway stacks: `pulumi destroy` then removes the data without a final snapshot. */
  deletionProtection: boolean;
  backupRetentionDays: number;
  /** Namespace/name of the ServiceAccount External Secrets runs as (its IRSA role reads the password). */
  externalSecretsServiceAccount: string;
}

export interface InfraConfig {
  region: string;
  clusterName: string;
  kubernetesVersion: string;
  vpcCidr: string;
  /** How many availability zones (looked up at deploy time) the VPC spans. */
  azCount: number;
  nodeInstanceType: string;
  nodeDesiredSize: number;
  nodeMinSize: number;
  nodeMaxSize: number;
  /** CIDRs allowed to reach the public API endpoint: required, no default (0.0.0.0/0 only if stated). */
  publicAccessCidrs: string[];
  /** Branch whose deploy workflow the CI roles trust and the environments deploy from. */
  deployBranch: string;
  /** Create the GitHub environments, their branch rule and the OIDC subject template (github.ts). */
  manageGithub: boolean;
  /** GitHub user IDs whose approval the infrastructure environment requires (at least one when manageGithub). */
  infraReviewerIds: number[];
  /** GitHub user IDs whose approval the deploy environment requires (none: no review). */
  deployReviewerIds: number[];
  /** CloudWatch retention of the control-plane logs. */
  logRetentionDays: number;
  /** Container logs to CloudWatch Logs (container-logs.ts): on/off and the log groups' retention. */
  containerLogs: { enabled: boolean; retentionDays: number };
  /** "owner/name" of the GitHub repository whose workflows may assume the CI roles. */
  githubRepo: string;
  /** GitHub environment whose jobs may assume the infra role (`pulumi up`). */
  infraEnvironment: string;
  /** GitHub environment whose jobs may assume the deploy role (ECR push, rollout). */
  deployEnvironment: string;
  /** ARN of an existing token.actions.githubusercontent.com provider (one per account); empty = create it. */
  githubOidcProviderArn: string | undefined;
  /** IAM principals (besides the infra role) that may assume the cluster-admin role, e.g. an SSO admin role. */
  clusterAdminPrincipalArns: string[];
  /** Namespace the operator is installed into (cdk8s/dist/operator.yaml). */
  operatorNamespace: string;
  /** Namespaces whose FastApiApps the deploy role may create and update. */
  appNamespaces: string[];
  appRepositoryName: string;
  operatorRepositoryName: string;
  /** ECR lifecycle: tagged images kept per repository (besides the protected ones). */
  imagesToKeep: number;
  /** ECR lifecycle: tag prefixes never counted against imagesToKeep (releases). */
  protectedTagPrefixes: string[];
  /** ECR lifecycle: how many protected images are kept. */
  protectedImagesToKeep: number;
  /** `pulumi destroy` deletes the repositories even with images in them. */
  ecrForceDelete: boolean;
  /** Managed policies for the role that runs `pulumi up` from CI (creating VPC/EKS/IAM needs broad rights). */
  infraRolePolicyArns: string[];
  /** RDS PostgreSQL for the app; undefined = bring your own database. */
  database: DatabaseConfig | undefined;
  /** The TLS entry point (ALB Ingress + ACM certificate); undefined = no public host (appHost unset). */
  ingress: IngressConfig | undefined;
  /** Cognito user pool issuing the app's bearer tokens; undefined = none (createCognito false). */
  cognito: CognitoConfig | undefined;
}

/** Reads one raw string value by key; undefined when unset. */
export type ConfigReader = (key: string) => string | undefined;

const REPO_RE = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const NAME_RE = /^[a-z0-9][a-z0-9._/-]*$/;
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ENV_RE = /^[A-Za-z0-9_.-]{1,255}$/;
// Owners that only ever appear in documentation and examples.
const PLACEHOLDER_OWNERS = new Set(['your-org', 'your-name', 'your-user', 'my-org', 'owner', 'org', 'example', 'changeme', 'todo']);

function isPlaceholder(v: string): boolean {
  return /[<>]|\bchangeme\b|^todo$/i.test(v) || PLACEHOLDER_OWNERS.has(v.split('/')[0]!.toLowerCase());
}

function int(get: ConfigReader, key: string, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = get(key);
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InfraConfigError(key, `must be an integer in ${min}..${max}, got "${raw}"`);
  }
  return n;
}

function bool(get: ConfigReader, key: string, def: boolean): boolean {
  const raw = get(key);
  if (raw === undefined || raw === '') return def;
  if (raw !== 'true' && raw !== 'false') throw new InfraConfigError(key, `must be true or false, got "${raw}"`);
  return raw === 'true';
}

function str(get: ConfigReader, key: string, def: string, re?: RegExp): string {
  const v = get(key) ?? def;
  if (re && !re.test(v)) throw new InfraConfigError(key, `"${v}" does not match ${re}`);
  if (isPlaceholder(v)) throw new InfraConfigError(key, `"${v}" is a placeholder: set the real value`);
  return v;
}

function list(get: ConfigReader, key: string, def: string[], valid: (s: string) => boolean, what: string): string[] {
  const raw = get(key);
  if (raw === undefined || raw === '') return def;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InfraConfigError(key, `must be a JSON list of ${what}, got "${raw}"`);
  }
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string' && valid(p))) {
    throw new InfraConfigError(key, `must be a JSON list of ${what}, got ${raw}`);
  }
  const bad = parsed.find((p: string) => isPlaceholder(p));
  if (bad) throw new InfraConfigError(key, `"${bad}" is a placeholder: set the real value`);
  return parsed as string[];
}

const isCidr = (s: string) => {
  const m = CIDR_RE.exec(s);
  return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
};
const isArn = (s: string) => /^arn:aws[a-z-]*:[a-z0-9-]+:/.test(s);

/** The values CloudWatch Logs accepts as a retention. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

function retentionDays(get: ConfigReader, key: string, def: number): number {
  const n = int(get, key, def, 1, 3653);
  if (!LOG_RETENTION_DAYS.includes(n)) throw new InfraConfigError(key, `must be one of CloudWatch's retentions (${LOG_RETENTION_DAYS.join(', ')}), got ${n}`);
  return n;
}

// The subnet layout (network.ts) has room for three zones.
function azCount(get: ConfigReader): number {
  const n = int(get, 'azCount', 2, 2);
  if (n > 3) throw new InfraConfigError('azCount', `must be 2 or 3, got ${n}`);
  return n;
}

function githubRepo(get: ConfigReader): string {
  const repo = get('githubRepo');
  if (repo && isPlaceholder(repo)) {
    throw new InfraConfigError('githubRepo', `"${repo}" is a placeholder: set the repository whose workflows deploy (pulumi config set githubRepo OWNER/REPO)`);
  }
  if (!repo || !REPO_RE.test(repo)) throw new InfraConfigError('githubRepo', `must be "owner/name", got "${repo ?? ''}"`);
  return repo;
}

function database(get: ConfigReader): DatabaseConfig | undefined {
  if (!bool(get, 'createDatabase', false)) return undefined;
  return {
    instanceClass: str(get, 'databaseInstanceClass', 'db.t4g.micro', /^db\.[a-z0-9]+\.[a-z0-9]+$/),
    allocatedStorageGb: int(get, 'databaseStorageGb', 20, 20, 1000),
    engineVersion: str(get, 'databaseEngineVersion', '16', /^\d+(\.\d+)?$/),
    multiAz: bool(get, 'databaseMultiAz', false),
    deletionProtection: bool(get, 'databaseDeletionProtection', true),
    backupRetentionDays: int(get, 'databaseBackupRetentionDays', 7, 1, 35),
    externalSecretsServiceAccount: str(get, 'externalSecretsServiceAccount', 'external-secrets/external-secrets', /^[a-z0-9-]+\/[a-z0-9-]+$/),
  };
}

/** Pure: raw config values -> validated InfraConfig (throws InfraConfigError). */
export function parseConfig(get: ConfigReader, region: string | undefined, stack: string): InfraConfig {
  if (!region) throw new InfraConfigError('aws:region', 'is required (pulumi config set aws:region eu-west-1)');
  const repo = githubRepo(get);
  const vpcCidr = str(get, 'vpcCidr', '10.0.0.0/16', CIDR_RE);
  const prefix = Number(CIDR_RE.exec(vpcCidr)?.[5]);
  // Subnets are carved as /prefix+4 (public) and /prefix+2 (private): see network.ts.
  if (prefix < 16 || prefix > 20) throw new InfraConfigError('vpcCidr', `prefix must be /16../20, got /${prefix}`);

  const nodeMinSize = int(get, 'nodeMinSize', 1, 0);
  const nodeMaxSize = int(get, 'nodeMaxSize', 3, 1);
  const nodeDesiredSize = int(get, 'nodeDesiredSize', 2, 0);
  if (!(nodeMinSize <= nodeDesiredSize && nodeDesiredSize <= nodeMaxSize)) {
    throw new InfraConfigError('nodeDesiredSize', `need min <= desired <= max, got ${nodeMinSize} <= ${nodeDesiredSize} <= ${nodeMaxSize}`);
  }
  if (!get('publicAccessCidrs')) {
    throw new InfraConfigError('publicAccessCidrs', 'is required: the CIDRs that may reach the public Kubernetes API endpoint, as a JSON list ' +
      '(e.g. \'["203.0.113.0/24"]\' for your office and self-hosted runners; \'["0.0.0.0/0"]\' only if you mean the whole internet)');
  }
  const publicAccessCidrs = list(get, 'publicAccessCidrs', [], isCidr, 'IPv4 CIDRs');
  if (publicAccessCidrs.length === 0) throw new InfraConfigError('publicAccessCidrs', 'must name at least one CIDR (the deploy job reaches the API through it)');
  const manageGithub = bool(get, 'manageGithub', true);
  const userIds = (key: string) => list(get, key, [], (s) => /^[1-9]\d{0,11}$/.test(s), 'GitHub user IDs as strings').map(Number);
  const infraReviewerIds = userIds('infraReviewerIds');
  if (manageGithub && infraReviewerIds.length === 0) {
    throw new InfraConfigError('infraReviewerIds', 'must name at least one GitHub user ID (gh api users/NAME --jq .id) who approves infrastructure runs, ' +
      'or set manageGithub false and protect the environments by hand');
  }
  const oidcArn = get('githubOidcProviderArn');
  if (oidcArn && !isArn(oidcArn)) throw new InfraConfigError('githubOidcProviderArn', 'must be an ARN');
  if (oidcArn && isPlaceholder(oidcArn)) throw new InfraConfigError('githubOidcProviderArn', 'is a placeholder');
  const infraEnvironment = str(get, 'infraEnvironment', 'infrastructure', ENV_RE);
  const deployEnvironment = str(get, 'deployEnvironment', 'production', ENV_RE);
  if (infraEnvironment === deployEnvironment) {
    throw new InfraConfigError('deployEnvironment', `must differ from infraEnvironment ("${infraEnvironment}"): each role trusts its own environment`);
  }

  const clusterName = str(get, 'clusterName', `fastapiapp-${stack}`, /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/);
  return {
    region,
    clusterName,
    kubernetesVersion: str(get, 'kubernetesVersion', '1.33', /^1\.\d+$/),
    vpcCidr,
    azCount: azCount(get),
    nodeInstanceType: str(get, 'nodeInstanceType', 't3.medium', /^[a-z0-9]+\.[a-z0-9]+$/),
    nodeDesiredSize,
    nodeMinSize,
    nodeMaxSize,
    publicAccessCidrs,
    deployBranch: str(get, 'deployBranch', 'main', /^[A-Za-z0-9._/-]{1,255}$/),
    manageGithub,
    infraReviewerIds,
    deployReviewerIds: userIds('deployReviewerIds'),
    logRetentionDays: int(get, 'logRetentionDays', 30, 1, 3653),
    containerLogs: { enabled: bool(get, 'containerLogs', true), retentionDays: retentionDays(get, 'containerLogRetentionDays', 30) },
    githubRepo: repo,
    infraEnvironment,
    deployEnvironment,
    githubOidcProviderArn: oidcArn || undefined,
    clusterAdminPrincipalArns: list(get, 'clusterAdminPrincipalArns', [], isArn, 'IAM ARNs'),
    operatorNamespace: str(get, 'operatorNamespace', 'fastapiapp-system', DNS_LABEL_RE),
    appNamespaces: list(get, 'appNamespaces', ['default'], (s) => DNS_LABEL_RE.test(s), 'namespace names'),
    appRepositoryName: str(get, 'appRepositoryName', 'fastapiapp/app', NAME_RE),
    operatorRepositoryName: str(get, 'operatorRepositoryName', 'fastapiapp/operator', NAME_RE),
    imagesToKeep: int(get, 'imagesToKeep', 10, 1, 10000),
    protectedTagPrefixes: list(get, 'protectedTagPrefixes', ['v'], (s) => /^[A-Za-z0-9_.-]+$/.test(s), 'tag prefixes'),
    protectedImagesToKeep: int(get, 'protectedImagesToKeep', 100, 1, 10000),
    ecrForceDelete: bool(get, 'ecrForceDelete', false),
    infraRolePolicyArns: list(get, 'infraRolePolicyArns', ['arn:aws:iam::aws:policy/AdministratorAccess'], isArn, 'policy ARNs'),
    database: database(get),
    ingress: ingressConfig(get),
    cognito: cognitoConfig(get, clusterName),
  };
}

/** Reads the stack's config (project namespace + aws:region). */
export function loadConfig(): InfraConfig {
  const cfg = new pulumi.Config();
  return parseConfig((k) => cfg.get(k), new pulumi.Config('aws').get('region'), pulumi.getStack());
}
