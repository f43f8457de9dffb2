// The TLS entry point (config appHost): an ACM certificate for the app's host name, requested here
// (DNS validation through a Route 53 zone when appRoute53ZoneId is set, else the validation record
// is an output to create by hand) or given as appCertificateArn, and the Ingress for the AWS Load
// Balancer Controller that terminates TLS with it on an internet-facing ALB: HTTPS on 443 only,
// HTTP answered with a redirect, a TLS 1.2+/1.3 policy, traffic to the pods' IPs (target-type ip).
// The app's Service stays ClusterIP: no plain-HTTP public load balancer.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import YAML from 'yaml';
import type { IngressConfig } from './edge-config';

/** ELB's TLS 1.3 policy that still accepts TLS 1.2 clients (no TLS 1.0/1.1, no CBC ciphers). */
export const SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

export interface AppIngressOptions {
  host: string;
  certificateArn: string;
  /** The FastApiApp's namespace and name: its Service has the app's name and the port named http. */
  namespace: string;
  appName: string;
}

/** Pure: the Ingress (networking.k8s.io/v1) the AWS Load Balancer Controller turns into an HTTPS ALB. */
export function appIngressManifest(o: AppIngressOptions): string {
  const ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: o.appName,
      namespace: o.namespace,
      annotations: {
        'alb.ingress.kubernetes.io/scheme': 'internet-facing',
        'alb.ingress.kubernetes.io/target-type': 'ip',
        'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP": 80}, {"HTTPS": 443}]',
        'alb.ingress.kubernetes.io/ssl-redirect': '443',
        'alb.ingress.kubernetes.io/certificate-arn': o.certificateArn,
        'alb.ingress.kubernetes.io/ssl-policy': SSL_POLICY,
        // The app's own readiness (the database reachable, migrations applied) decides the targets.
        'alb.ingress.kubernetes.io/healthcheck-path': '/readyz',
      },
    },
    spec: {
      ingressClassName: 'alb',
      tls: [{ hosts: [o.host] }],
      rules: [{ host: o.host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: o.appName, port: { name: 'http' } } } }] } }],
    },
  };
  return YAML.stringify(ingress);
}

export interface Certificate {
  arn: pulumi.Output<string>;
  /** The CNAME ACM checks: name, type, value (to create by hand when no zone is configured); empty with a given ARN. */
  validationRecords: pulumi.Output<Array<{ name: string; type: string; value: string }>>;
}

export function createCertificate(name: string, c: IngressConfig): Certificate {
  if (c.certificateArn) return { arn: pulumi.output(c.certificateArn), validationRecords: pulumi.output([]) };
  const cert = new aws.acm.Certificate(name, { domainName: c.host, validationMethod: 'DNS' });
  const validationRecords = cert.domainValidationOptions.apply((opts) =>
    opts.map((o) => ({ name: o.resourceRecordName!, type: o.resourceRecordType!, value: o.resourceRecordValue! })));
  if (!c.route53ZoneId) return { arn: cert.arn, validationRecords };
  const record = new aws.route53.Record(`${name}-validation`, {
    zoneId: c.route53ZoneId,
    name: cert.domainValidationOptions[0]!.resourceRecordName,
    type: cert.domainValidationOptions[0]!.resourceRecordType,
    records: [cert.domainValidationOptions[0]!.resourceRecordValue],
    ttl: 300,
    allowOverwrite: true,
  });
  // Waits until ACM has issued the certificate, so the ARN output is one the ALB can use.
  const validation = new aws.acm.CertificateValidation(name, { certificateArn: cert.arn, validationRecordFqdns: [record.fqdn] });
  return { arn: validation.certificateArn, validationRecords };
}
