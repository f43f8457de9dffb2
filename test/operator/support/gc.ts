// Forced garbage collections for tests of what must survive one (a deadline signal on Node 20).
import v8 from 'node:v8';
import vm from 'node:vm';

/** Runs a full collection every `ms` until the returned function is called. */
export function collectGarbageEvery(ms: number): () => void {
  v8.setFlagsFromString('--expose-gc');
  const timer = setInterval(vm.runInNewContext('gc') as () => void, ms);
  return () => clearInterval(timer);
}
