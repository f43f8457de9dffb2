// The FastApiApp CRD. Cluster-scoped: this chart has no namespace (cdk8s would stamp a chart
// namespace on the CRD too).
import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { fastApiAppCrd } from '../../operator/src/api/crd';

export class CrdChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new ApiObject(this, 'fastapiapp-crd', fastApiAppCrd());
  }
}
