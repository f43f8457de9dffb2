// Stack configuration, read and validated once. Every value has a default except the GitHub
// repository (it decides who may assume the CI roles, so it must be stated) and aws:region.
import * as pulumi from '@pulumi/pulumi';

export class InfraConfigError extends Error {
  constructor(key: string, problem: string) {
    super(`infra config "${key}": ${problem}`);
    this.name = 'InfraConfigError';
  }
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
  /** "owner/name" of the GitHub repository whose workflows may assume the CI roles. */
  githubRepo: string;
  /** The only branch whose workflows may assume the CI roles. */
  githubBranch: string;
  /** ARN of an existing token.actions.githubusercontent.com provider (one per account); empty = create it. */
  githubOidcProviderArn: string | undefined;
  appRepositoryName: string;
  operatorRepositoryName: string;
  /** ECR lifecycle: images kept per repository. */
  imagesToKeep: number;
  /** Managed policies for the role that runs `pulumi up` from CI (creating VPC/EKS/IAM needs broad rights). */
  infraRolePolicyArns: string[];
}

/** Reads one raw string value by key; undefined when unset. */
export type ConfigReader = (key: string) => string | undefined;

const REPO_RE = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const NAME_RE = /^[a-z0-9][a-z0-9._/-]*$/;

function int(get: ConfigReader, key: string, def: number, min: number): number {
  const raw = get(key);
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new InfraConfigError(key, `must be an integer >= ${min}, got "${raw}"`);
  return n;
}

function str(get: ConfigReader, key: string, def: string, re?: RegExp): string {
  const v = get(key) ?? def;
  if (re && !re.test(v)) throw new InfraConfigError(key, `"${v}" does not match ${re}`);
  return v;
}

// The subnet layout (network.ts) has room for three zones.
function azCount(get: ConfigReader): number {
  const n = int(get, 'azCount', 2, 2);
  if (n > 3) throw new InfraConfigError('azCount', `must be 2 or 3, got ${n}`);
  return n;
}

/** Pure: raw config values -> validated InfraConfig (throws InfraConfigError). */
export function parseConfig(get: ConfigReader, region: string | undefined, stack: string): InfraConfig {
  if (!region) throw new InfraConfigError('aws:region', 'is required (pulumi config set aws:region eu-west-1)');
  const githubRepo = get('githubRepo');
  if (!githubRepo || !REPO_RE.test(githubRepo)) {
    throw new InfraConfigError('githubRepo', `must be "owner/name", got "${githubRepo ?? ''}"`);
  }
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
  const policies = get('infraRolePolicyArns');
  const infraRolePolicyArns = policies ? (JSON.parse(policies) as unknown) : ['arn:aws:iam::aws:policy/AdministratorAccess'];
  if (!Array.isArray(infraRolePolicyArns) || !infraRolePolicyArns.every((p) => typeof p === 'string' && p.startsWith('arn:'))) {
    throw new InfraConfigError('infraRolePolicyArns', 'must be a JSON list of policy ARNs');
  }
  const oidcArn = get('githubOidcProviderArn');
  if (oidcArn && !oidcArn.startsWith('arn:')) throw new InfraConfigError('githubOidcProviderArn', 'must be an ARN');

  return {
    region,
    clusterName: str(get, 'clusterName', `fastapiapp-${stack}`, /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/),
    kubernetesVersion: str(get, 'kubernetesVersion', '1.33', /^1\.\d+$/),
    vpcCidr,
    azCount: azCount(get),
    nodeInstanceType: str(get, 'nodeInstanceType', 't3.medium', /^[a-z0-9]+\.[a-z0-9]+$/),
    nodeDesiredSize,
    nodeMinSize,
    nodeMaxSize,
    githubRepo,
    githubBranch: str(get, 'githubBranch', 'main', /^[A-Za-z0-9._/-]+$/),
    githubOidcProviderArn: oidcArn || undefined,
    appRepositoryName: str(get, 'appRepositoryName', 'fastapiapp/app', NAME_RE),
    operatorRepositoryName: str(get, 'operatorRepositoryName', 'fastapiapp/operator', NAME_RE),
    imagesToKeep: int(get, 'imagesToKeep', 10, 1),
    infraRolePolicyArns: infraRolePolicyArns as string[],
  };
}

/** Reads the stack's config (project namespace + aws:region). */
export function loadConfig(): InfraConfig {
  const cfg = new pulumi.Config();
  return parseConfig((k) => cfg.get(k), new pulumi.Config('aws').get('region'), pulumi.getStack());
}
