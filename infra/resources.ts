// The whole stack. Kept apart from index.ts so unit tests can install Pulumi's mocks before any
// resource is constructed (importing this module constructs them).
import * as pulumi from '@pulumi/pulumi';
import { attachDeployerPolicy, createCiRoles } from './ci-roles';
import { createCluster } from './cluster';
import { appAuthEnv, createCognito } from './cognito';
import { createContainerLogs } from './container-logs';
import { loadConfig } from './config';
import { createDatabase, externalSecretManifests, rdsCaBundleUrl } from './database';
import { createGithubProtection } from './github';
import { appIngressManifest, createCertificate } from './ingress';
import { createKubernetesObjects } from './kubernetes';
import { createNetwork, subnetLayout } from './network';
import { createRegistry } from './registry';

/** spec.databaseSecretRef.name of the committed FastApiApp (deploy/fastapiapp.yaml). */
const APP_DATABASE_SECRET = 'items-app-database';
/** metadata.name of the committed FastApiApp: its Service's name. */
const APP_NAME = 'items-app';

const cfg = loadConfig();
const network = createNetwork(cfg);
const registry = createRegistry(cfg);
const ci = createCiRoles(cfg);
if (cfg.manageGithub) createGithubProtection(cfg);
const { cluster, nodeGroup } = createCluster(cfg, network, { clusterAdmin: ci.clusterAdmin.arn, deployer: ci.deployer.arn });
attachDeployerPolicy(ci.deployer, [registry.app.arn, registry.operator.arn], cluster.eksCluster.arn);
createKubernetesObjects(cfg, cluster, ci.clusterAdmin.arn);
const containerLogs = createContainerLogs(cfg, { clusterName: cluster.eksCluster.name, oidcProviderArn: cluster.oidcProviderArn, oidcIssuer: cluster.oidcIssuer, nodeGroup });
const database = cfg.database
  ? createDatabase(cfg, cfg.database, {
      network,
      nodeSecurityGroupId: cluster.eksCluster.vpcConfig.clusterSecurityGroupId,
      clusterOidcProviderArn: cluster.oidcProviderArn,
      clusterOidcIssuer: cluster.oidcIssuer,
    })
  : undefined;

const cognito = cfg.cognito ? createCognito(cfg, cfg.cognito) : undefined;
const certificate = cfg.ingress ? createCertificate(`${cfg.clusterName}-app`, cfg.ingress) : undefined;

/** Credentials for the cluster (uses `aws eks get-token` as the caller): a secret in the stack state. */
export const kubeconfig = pulumi.secret(cluster.kubeconfigJson);
export const clusterName = cluster.eksCluster.name;
export const region = cfg.region;
export const vpcId = network.vpcId;
export const appRepositoryUrl = registry.app.repositoryUrl;
export const operatorRepositoryUrl = registry.operator.repositoryUrl;
/** Role for the deploy jobs (environment deployEnvironment): the repository variable AWS_CI_ROLE_ARN. */
export const ciRoleArn = ci.deployer.arn;
/** Role for `pulumi up` (environment infraEnvironment): the repository variable AWS_INFRA_ROLE_ARN. */
export const infraRoleArn = ci.infra.arn;
/** Kubernetes admin role (assumed by the infra role and clusterAdminPrincipalArns). */
export const clusterAdminRoleArn = ci.clusterAdmin.arn;
/** The cluster's IAM OIDC provider (IAM roles for service accounts). */
export const clusterOidcProviderArn = cluster.oidcProviderArn;
/** The CloudWatch log group holding every container's lines (docs/operations/logs.md), or "" with containerLogs false. */
export const containerLogGroup = containerLogs ? containerLogs.applicationLogGroup : pulumi.output('');
/** RDS endpoint host, or "" without createDatabase. */
export const databaseHost = database ? database.instance.address : pulumi.output('');
/** ARN of the RDS-managed master secret (the ARN only: the password stays in Secrets Manager). */
export const databaseSecretArn = database ? database.secretArn : pulumi.output('');
/** ARN of the app role's secret (fastapiapp_app; filled by the Deploy workflow's operator job), or "". */
export const databaseAppSecretArn = database ? database.appSecret.arn : pulumi.output('');
/** Role to annotate External Secrets' ServiceAccount with (eks.amazonaws.com/role-arn). */
export const externalSecretsRoleArn = database ? database.externalSecretsRole.arn : pulumi.output('');
/** SecretStore + ExternalSecret producing the app's DATABASE_URL Secret: pipe into `kubectl apply -f -`. */
export const databaseExternalSecret = database
  ? pulumi.all([database.instance.address, database.appSecret.arn]).apply(([host, secretArn]) =>
      externalSecretManifests({ region: cfg.region, secretArn, host, namespace: cfg.appNamespaces[0]!, secretName: APP_DATABASE_SECRET }),
    )
  : pulumi.output('');
/** Cognito: the app's AUTH_* settings (issuer, client ID as audience, claim, scope prefix) as JSON, or "" without createCognito. */
export const appAuthSettings = cognito
  ? pulumi.all([cognito.issuer, cognito.client.id]).apply(([issuer, clientId]) => JSON.stringify(appAuthEnv(issuer, clientId, cfg.cognito!.resourceServer)))
  : pulumi.output('');
/** Cognito: the client-credentials token endpoint, or "". */
export const cognitoTokenEndpoint = cognito ? cognito.tokenEndpoint : pulumi.output('');
/** Cognito: the user pool ID (the client secret: `aws cognito-idp describe-user-pool-client`), or "". */
export const cognitoUserPoolId = cognito ? cognito.userPool.id : pulumi.output('');
/** TLS entry point: the ACM certificate's ARN, or "" without appHost. */
export const appCertificateArn = certificate ? certificate.arn : pulumi.output('');
/** TLS entry point: the DNS records ACM validates the requested certificate by (create them when no appRoute53ZoneId is set). */
export const appCertificateValidation = certificate ? certificate.validationRecords : pulumi.output([]);
/** TLS entry point: the Ingress for the AWS Load Balancer Controller (HTTPS ALB): pipe into `kubectl apply -f -`; "" without appHost. */
export const appIngress = certificate
  ? certificate.arn.apply((certificateArn) => appIngressManifest({ host: cfg.ingress!.host, certificateArn, namespace: cfg.appNamespaces[0]!, appName: APP_NAME }))
  : pulumi.output('');
/** Source CIDRs of the ALB (the public subnets): add them to the FastApiApp's spec.networkPolicy.allowedCIDRs. */
export const loadBalancerSubnetCidrs = subnetLayout(cfg.vpcCidr, cfg.azCount).public;
/** RDS CA bundle of the region (the operator job turns it into the ConfigMap rds-ca-bundle), or "" without createDatabase. */
export const databaseCaBundleUrl = pulumi.output(database ? rdsCaBundleUrl(cfg.region) : '');
