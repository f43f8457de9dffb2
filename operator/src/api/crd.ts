// The FastApiApp CustomResourceDefinition, built from schema.ts. cdk8s writes it to
// crds/fastapiapp.yaml; nothing else should hand-write CRD YAML.
import { fastApiAppSchema } from './schema';
import { GROUP, KIND, PLURAL, VERSION } from './types';

export const SINGULAR = 'fastapiapp';
export const SHORT_NAMES = ['faa'];
export const CRD_NAME = `${PLURAL}.${GROUP}`;

const conditionStatus = (type: string) => `.status.conditions[?(@.type=="${type}")].status`;

/** The CRD as a plain apiextensions.k8s.io/v1 object. */
export function fastApiAppCrd() {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: CRD_NAME,
      labels: { 'app.kubernetes.io/name': 'fastapiapp-operator', 'app.kubernetes.io/part-of': 'fastapiapp' },
    },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: PLURAL,
        singular: SINGULAR,
        shortNames: SHORT_NAMES,
        categories: ['all', 'fastapiapp'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: fastApiAppSchema },
          subresources: {
            status: {},
            scale: {
              specReplicasPath: '.spec.replicas',
              statusReplicasPath: '.status.replicas',
              labelSelectorPath: '.status.selector',
            },
          },
          additionalPrinterColumns: [
            { name: 'Tag', type: 'string', jsonPath: '.spec.tag', description: 'Image tag the spec asks for' },
            { name: 'Ready', type: 'string', jsonPath: conditionStatus('Ready'), description: 'Ready condition' },
            { name: 'Replicas', type: 'integer', jsonPath: '.status.readyReplicas', description: 'Ready pods' },
            { name: 'Migrated', type: 'string', jsonPath: conditionStatus('Migrated'), description: 'Migrated condition' },
            { name: 'Available', type: 'string', jsonPath: conditionStatus('Available'), description: 'Available condition: pods serve' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
            // -o wide: what runs, digest included once pinned
            { name: 'Image', type: 'string', jsonPath: '.status.image', description: 'Image the Deployment runs (image:tag@digest once pinned)', priority: 1 },
          ],
        },
      ],
    },
  };
}
