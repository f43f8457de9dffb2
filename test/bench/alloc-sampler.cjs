// Preloaded (--require) into a benchmarked server: V8's sampling heap profiler, counting objects
// that are later collected too, so it measures what a request allocates (the work the young-generation
// GC pays for), not what stays live. SIGUSR2 starts sampling; the next SIGUSR2 stops it and writes
// the bytes per allocation site as JSON to ALLOC_PROFILE_OUT. Allocation per request does not
// depend on other load on the machine, unlike CPU time and req/s.
const inspector = require('node:inspector');
const { writeFileSync } = require('node:fs');

const out = process.env.ALLOC_PROFILE_OUT;
if (!out) throw new Error('alloc-sampler: set ALLOC_PROFILE_OUT');
const session = new inspector.Session();
session.connect();
let sampling = false;

/** Bytes per site ("function file:line"), node_modules paths shortened to the package. */
function bySite(head) {
  const sites = {};
  const walk = (node) => {
    const f = node.callFrame;
    const site = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\//, '')}:${f.lineNumber + 1}`;
    sites[site] = (sites[site] ?? 0) + node.selfSize;
    node.children.forEach(walk);
  };
  walk(head);
  return sites;
}

process.on('SIGUSR2', () => {
  if (!sampling) {
    sampling = true;
    session.post('HeapProfiler.enable', () =>
      session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }),
    );
    return;
  }
  session.post('HeapProfiler.stopSampling', (err, result) => {
    writeFileSync(out, JSON.stringify(err ? { error: String(err.message ?? err) } : { sites: bySite(result.profile.head) }));
  });
});
