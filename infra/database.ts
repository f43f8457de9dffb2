// Optional RDS PostgreSQL for the app (config createDatabase, default false): private subnets
// only, reachable only from the nodes' security group on 5432, storage encrypted, master password
// generated and rotated by RDS in Secrets Manager (it never passes through Pulumi config, state
// or outputs). External Secrets Operator turns that secret into the app's DATABASE_URL Secret:
// its IAM role (IRSA) may read exactly this one secret, and `externalSecretManifests` renders the
// store and ExternalSecret to apply (README "Deploy to AWS").
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import YAML from 'yaml';
import type { DatabaseConfig, InfraConfig } from './config';
import type { Network } from './network';
import { readSecretPolicy, serviceAccountTrustPolicy } from './policies';

export const DATABASE_NAME = 'fastapiapp';
export const DATABASE_USER = 'fastapiapp';
export const DATABASE_PORT = 5432;
/** The app's own role (app/src/data/app-role.ts): what the app and its migrations connect as. */
export const DATABASE_APP_ROLE = 'fastapiapp_app';
/** How often External Secrets re-reads the master secret: bounds the outage after a rotation. */
export const EXTERNAL_SECRET_REFRESH = '5m';
/** The ConfigMap (key ca.pem) holding the region's RDS CA bundle, in the app's namespace. */
export const RDS_CA_CONFIGMAP = 'rds-ca-bundle';

/** AWS's published CA bundle for RDS in `region` (what the app verifies the server against). */
export function rdsCaBundleUrl(region: string): string {
  return `https://truststore.pki.rds.amazonaws.com/${region}/${region}-bundle.pem`;
}

export interface Database {
  instance: aws.rds.Instance;
  securityGroup: aws.ec2.SecurityGroup;
  /** ARN of the RDS-managed master secret ({"username","password"}): read only by the Deploy workflow's operator job. */
  secretArn: pulumi.Output<string>;
  /** ARN of the app role's secret ({"username","password"}): filled by the operator job, read by External Secrets. */
  appSecret: aws.secretsmanager.Secret;
  externalSecretsRole: aws.iam.Role;
}

export interface DatabaseInputs {
  network: Network;
  /** The EKS cluster security group: the managed node group's nodes carry it. */
  nodeSecurityGroupId: pulumi.Input<string>;
  clusterOidcProviderArn: pulumi.Input<string>;
  clusterOidcIssuer: pulumi.Input<string>;
}

export function createDatabase(cfg: InfraConfig, db: DatabaseConfig, inputs: DatabaseInputs): Database {
  const name = `${cfg.clusterName}-db`;
  const subnetGroup = new aws.rds.SubnetGroup(name, { subnetIds: inputs.network.privateSubnetIds, tags: { Name: name } });
  // No inline rules and no egress: the database starts no connections.
  const securityGroup = new aws.ec2.SecurityGroup(name, {
    vpcId: inputs.network.vpcId,
    description: `PostgreSQL for ${cfg.clusterName}: only from the cluster's nodes`,
    tags: { Name: name },
  });
  new aws.vpc.SecurityGroupIngressRule(`${name}-from-nodes`, {
    securityGroupId: securityGroup.id,
    referencedSecurityGroupId: inputs.nodeSecurityGroupId,
    ipProtocol: 'tcp',
    fromPort: DATABASE_PORT,
    toPort: DATABASE_PORT,
    description: 'PostgreSQL from the EKS nodes',
  });
  const instance = new aws.rds.Instance(name, {
    identifier: name,
    engine: 'postgres',
    engineVersion: db.engineVersion,
    instanceClass: db.instanceClass,
    allocatedStorage: db.allocatedStorageGb,
    storageType: 'gp3',
    storageEncrypted: true,
    dbName: DATABASE_NAME,
    username: DATABASE_USER,
    manageMasterUserPassword: true,
    dbSubnetGroupName: subnetGroup.name,
    vpcSecurityGroupIds: [securityGroup.id],
    publiclyAccessible: false,
    multiAz: db.multiAz,
    backupRetentionPeriod: db.backupRetentionDays,
    deletionProtection: db.deletionProtection,
    skipFinalSnapshot: !db.deletionProtection,
    finalSnapshotIdentifier: db.deletionProtection ? `${name}-final` : undefined,
    autoMinorVersionUpgrade: true,
    copyTagsToSnapshot: true,
  });
  const secretArn = instance.masterUserSecrets.apply((s) => {
    const arn = s[0]?.secretArn;
    if (!arn) throw new Error(`RDS did not report the managed master secret of ${name}`);
    return arn;
  });
  // No value here: the Deploy workflow's operator job generates the password (Secrets Manager's
  // get-random-password), stores it, and creates the role with it (db-role.ts); it never passes
  // through Pulumi's config, state or outputs.
  const appSecret = new aws.secretsmanager.Secret(`${name}-app-user`, {
    description: `Login of ${DATABASE_APP_ROLE}, the app's own role on ${name} (not the master user)`,
    recoveryWindowInDays: 7,
  });
  const externalSecretsRole = new aws.iam.Role(`${name}-external-secrets`, {
    description: `External Secrets (${db.externalSecretsServiceAccount}) reads the app role's secret of ${name}`,
    assumeRolePolicy: pulumi
      .all([inputs.clusterOidcProviderArn, inputs.clusterOidcIssuer])
      .apply(([arn, issuer]) => JSON.stringify(serviceAccountTrustPolicy(arn, issuer.replace(/^https:\/\//, ''), db.externalSecretsServiceAccount))),
  });
  new aws.iam.RolePolicy(`${name}-external-secrets`, {
    role: externalSecretsRole.id,
    policy: appSecret.arn.apply((arn) => JSON.stringify(readSecretPolicy(arn))),
  });
  return { instance, securityGroup, secretArn, appSecret, externalSecretsRole };
}

export interface ExternalSecretOptions {
  region: string;
  secretArn: string;
  host: string;
  /** Namespace of the FastApiApp and of the Secret it references. */
  namespace: string;
  /** The FastApiApp's spec.databaseSecretRef.name. */
  secretName: string;
}

/**
 * Pure: a SecretStore and an ExternalSecret (external-secrets.io/v1) that keep `secretName`'s
 * DATABASE_URL in step with the app role's secret (`secretArn`: its login, not the master's). The store authenticates as the
 * controller's own ServiceAccount (the IRSA role above); no credential appears here.
 * TLS: verify-full. The app checks the server's certificate against the RDS CA bundle of the
 * region (DATABASE_CA_CERT, from the ConfigMap RDS_CA_CONFIGMAP the operator job creates from
 * databaseCaBundleUrl) and the host name; without that CA the app refuses to connect.
 * Refresh: every EXTERNAL_SECRET_REFRESH. RDS's 7-day rotation of the master password does not
 * touch the app, which logs in as its own role; a rotation of that role's password (a new value
 * in its secret, then the operator job's db-role run) reaches the pods within that interval.
 */
export function externalSecretManifests(o: ExternalSecretOptions): string {
  const store = {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'aws-secrets-manager', namespace: o.namespace },
    spec: { provider: { aws: { service: 'SecretsManager', region: o.region } } },
  };
  const url = `postgres://{{ .username | urlquery }}:{{ .password | urlquery }}@${o.host}:${DATABASE_PORT}/${DATABASE_NAME}?sslmode=verify-full`;
  const externalSecret = {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: o.secretName, namespace: o.namespace },
    spec: {
      refreshInterval: EXTERNAL_SECRET_REFRESH,
      secretStoreRef: { kind: 'SecretStore', name: store.metadata.name },
      // labelled: the operator watches only marked Secrets, so a new password rolls the app's pods
      target: { name: o.secretName, creationPolicy: 'Owner', template: { metadata: { labels: { 'platform.fastapiapp.io/secret': 'true' } }, data: { DATABASE_URL: url } } },
      dataFrom: [{ extract: { key: o.secretArn } }],
    },
  };
  return [store, externalSecret].map((d) => YAML.stringify(d)).join('---\n');
}
