// Typed errors of a reconcile pass that the status reports with their own reason.

/**
 * A child's name is taken by an object this FastApiApp does not control (no controller owner
 * reference with its uid). The operator leaves it untouched: adopting it silently could take over
 * someone else's workload.
 */
export class NameConflictError extends Error {
  override readonly name = 'NameConflictError';
  constructor(readonly kind: string, readonly childName: string, owner: string | undefined) {
    super(`${kind} ${childName} already exists and is not controlled by this FastApiApp ` +
      `(${owner ? `its controller is ${owner}` : 'it has no controller owner reference'}); ` +
      'the operator leaves it untouched: delete or rename it, or rename the FastApiApp');
  }
}
