// crds/examples/: a sample FastApiApp and the Secret it references. No namespace, so they go
// into whichever namespace `kubectl apply -n` names.
import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { API_VERSION, KIND, type FastApiAppSpec } from '../../operator/src/api/types';
import { WATCHED_SECRET_LABEL } from '../../operator/src/desired/secret-hash';
import { secretReaderBinding } from './operator';

export const EXAMPLE_NAME = 'items-app';
export const EXAMPLE_SECRET = 'items-app-database';

export const exampleSpec: FastApiAppSpec = {
  image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/items-app',
  tag: '1.0.0',
  replicas: 2,
  databaseSecretRef: { name: EXAMPLE_SECRET },
  env: [{ name: 'LOG_LEVEL', value: 'info' }],
};

export class ExampleAppChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new ApiObject(this, 'fastapiapp', {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: EXAMPLE_NAME },
      spec: exampleSpec,
    });
  }
}

export class ExampleSecretChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new ApiObject(this, 'database-secret', {
      apiVersion: 'v1',
      kind: 'Secret',
      // marked: the operator watches it, so a change of the URL rolls the app's pods
      metadata: { name: EXAMPLE_SECRET, labels: { [WATCHED_SECRET_LABEL]: 'true' } },
      type: 'Opaque',
      // stringData: the API server base64-encodes it into data. A local-only placeholder:
      // real clusters create this Secret out of band (e.g. from AWS Secrets Manager), never from git.
      stringData: { DATABASE_URL: 'postgres://items:local-dev-only-change-me@items-db:5432/items' },
    });
    // lets the operator list the marked Secrets of this namespace (the only Secret read it has)
    secretReaderBinding(this, 'operator-secret-reader');
  }
}
