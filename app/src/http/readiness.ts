// Whether this process should receive new traffic. On SIGTERM it turns "draining" at once, so
// /readyz answers 503 and Kubernetes removes the pod from its Service endpoints while the server
// keeps serving (see shutdown.ts).
export class Readiness {
  #draining = false;

  get draining(): boolean {
    return this.#draining;
  }

  drain(): void {
    this.#draining = true;
  }
}
