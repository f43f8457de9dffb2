// Reads deploy.yml (and ci.yml) and checks the path a commit takes to production: only after CI
// passed, AWS through OIDC only, images tagged with the commit SHA, the FastApiApp's tag set and
// waited on until Ready, no migrations run from the runner, one deploy at a time.
import { allSteps, ancestors, loadWorkflow, runScripts, workflowFiles, type Step } from './workflows';
import path from 'node:path';

const ci = loadWorkflow('ci.yml').wf;
const { wf: deploy } = loadWorkflow('deploy.yml');
const raws = workflowFiles().map((f) => loadWorkflow(path.basename(f)).raw);
const steps = allSteps(deploy);
const awsLogins = steps.filter((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
const scriptOf = (s: Step) => s.run ?? '';

describe('deploy.yml runs only after CI passed', () => {
  test('when CI completes on main, then deploy is triggered by that workflow_run (or by hand)', () => {
    expect(deploy.on.workflow_run).toEqual({ workflows: [ci.name], types: ['completed'], branches: ['main'] });
    expect(deploy.on).toHaveProperty('workflow_dispatch');
    expect(Object.keys(deploy.on).sort()).toEqual(['workflow_dispatch', 'workflow_run']);
  });

  test('when CI did not succeed, then the gate job is skipped and every other job needs the gate', () => {
    const gate = deploy.jobs.gate!;
    expect(gate.if).toContain("github.event.workflow_run.conclusion == 'success'");
    expect(gate.if).toContain("github.event.workflow_run.event == 'push'");
    expect(gate.if).toContain("github.event_name == 'workflow_dispatch' && github.ref == 'refs/heads/main'");
    for (const name of Object.keys(deploy.jobs).filter((n) => n !== 'gate')) {
      expect([name, [...ancestors(deploy, name)]]).toEqual([name, expect.arrayContaining(['gate'])]);
    }
  });

  test('when started by hand, then the gate checks that CI passed for the commit', () => {
    const check = deploy.jobs.gate!.steps.find((s) => s.if === "github.event_name == 'workflow_dispatch'");
    expect(scriptOf(check!)).toMatch(/gh run list .*--workflow ci\.yml .*--commit "\$SHA"/s);
    expect(scriptOf(check!)).toContain('--status success');
    expect(deploy.jobs.gate!.permissions).toEqual({ actions: 'read' });
  });

  test('when the commit is resolved, then it is the commit CI ran on', () => {
    const sha = deploy.jobs.gate!.steps.find((s) => s.id === 'sha')!;
    expect(sha.env).toEqual({ SHA: '${{ github.event.workflow_run.head_sha || github.sha }}' });
    for (const name of ['infra', 'images', 'rollout']) {
      const checkout = deploy.jobs[name]!.steps.find((s) => s.uses?.startsWith('actions/checkout@'));
      expect(checkout?.with?.ref).toBe('${{ needs.gate.outputs.sha }}');
    }
  });
});

describe('AWS access is OIDC only, least privilege', () => {
  test('when any workflow is read, then no AWS access keys appear anywhere', () => {
    for (const raw of raws) {
      expect(raw).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|secrets\.AWS_/i);
    }
  });

  test('when a job logs in to AWS, then it assumes a role from a repository variable with an OIDC token', () => {
    expect(awsLogins.map((s) => s.job).sort()).toEqual(['images', 'infra', 'rollout']);
    for (const s of awsLogins) {
      expect(s.with?.['role-to-assume']).toMatch(/^\$\{\{ vars\.AWS_(CI|INFRA)_ROLE_ARN \}\}$/);
      expect(deploy.jobs[s.job]!.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    }
    // Only `pulumi up` gets the broad infra role; pushing and deploying use the narrow CI role.
    expect(awsLogins.find((s) => s.job === 'infra')!.with!['role-to-assume']).toBe('${{ vars.AWS_INFRA_ROLE_ARN }}');
    expect(awsLogins.filter((s) => s.job !== 'infra').every((s) => s.with!['role-to-assume'] === '${{ vars.AWS_CI_ROLE_ARN }}')).toBe(true);
  });

  test('when permissions are read, then the workflow grants nothing and every job states its own', () => {
    expect(deploy.permissions).toEqual({});
    for (const [name, job] of Object.entries(deploy.jobs)) {
      expect([name, job.permissions]).toEqual([name, expect.any(Object)]);
      for (const [scope, level] of Object.entries(job.permissions as Record<string, string>)) {
        if (level === 'write') expect([name, scope]).toEqual([name, 'id-token']);
      }
    }
    expect(ci.permissions).toEqual({ contents: 'read' });
  });
});

describe('images and rollout', () => {
  test('when images are pushed, then both are tagged with the commit SHA and nothing else', () => {
    const job = deploy.jobs.images!;
    const push = job.steps.find((s) => s.run?.includes('--push'))!;
    expect(push.env?.SHA).toBe('${{ needs.gate.outputs.sha }}');
    expect(push.run).toContain('--tag "$2:$SHA"');
    expect(push.run!.match(/--tag /g)).toHaveLength(1);
    expect(push.run).toMatch(/push Dockerfile\.app "\$APP_REPOSITORY"/);
    expect(push.run).toMatch(/push Dockerfile\.operator "\$OPERATOR_REPOSITORY"/);
    expect(job.steps.some((s) => s.uses?.startsWith('aws-actions/amazon-ecr-login@'))).toBe(true);
  });

  test('when the rollout runs, then CRDs, the operator at the SHA, spec.tag and the Ready wait come in that order', () => {
    const rollout = deploy.jobs.rollout!;
    expect(rollout.env?.SHA).toBe('${{ needs.gate.outputs.sha }}');
    const scripts = rollout.steps.map(scriptOf);
    const at = (re: RegExp) => {
      const i = scripts.findIndex((s) => re.test(s));
      expect([re.source, i]).not.toEqual([re.source, -1]);
      return i;
    };
    const kubeconfig = at(/aws eks update-kubeconfig --name "\$CLUSTER_NAME"/);
    const crds = at(/kubectl apply .*-f crds\//);
    const operator = at(/newTag: "\$SHA"[\s\S]*kubectl apply .*operator-install\.yaml/);
    const tag = at(/kubectl -n "\$FAA_NAMESPACE" patch "faa\/\$FAA_NAME" --type merge/);
    const ready = at(/kubectl -n "\$FAA_NAMESPACE" wait "faa\/\$FAA_NAME" --for=condition=Ready --timeout=15m/);
    expect([kubeconfig, crds, operator, tag, ready]).toEqual([...[kubeconfig, crds, operator, tag, ready]].sort((a, b) => a - b));
    expect(new Set([kubeconfig, crds, operator, tag]).size).toBe(4);
    expect(scripts[tag]).toContain('--arg tag "$SHA"');
    expect(scripts[tag]).toContain('{spec: {image: $image, tag: $tag}}');
    // A stale Ready (previous tag) must not pass the wait.
    expect(scripts[ready]).toMatch(/--for=jsonpath='\{\.status\.observedGeneration\}'="\$generation"[\s\S]*--for=condition=Ready/);
  });

  test('when the rollout fails, then conditions, events and the migration Job logs are printed', () => {
    const diag = deploy.jobs.rollout!.steps.find((s) => s.if === 'failure()');
    const script = scriptOf(diag!);
    expect(script).toContain('{range .status.conditions[*]}');
    expect(script).toContain('get events');
    expect(script).toContain('app.kubernetes.io/component=migration');
    expect(script).toMatch(/kubectl -n "\$FAA_NAMESPACE" logs "\$job"/);
  });

  test('when any workflow step runs, then none of them runs migrations or touches the database', () => {
    for (const wf of [ci, deploy]) {
      for (const script of runScripts(wf)) {
        expect(script).not.toMatch(/\bmigrate\b|migrate\.js|knex|DATABASE_URL|psql/i);
      }
    }
  });

  test('when two deploys are started, then they queue in one group and never cancel each other', () => {
    expect(deploy.concurrency).toEqual({ group: 'deploy-production', 'cancel-in-progress': false });
  });
});

test('when actions are used, then each is pinned to a full commit SHA with its version in a comment', () => {
  const uses = raws.flatMap((raw) => raw.split('\n').filter((l) => /^\s*-?\s*uses:/.test(l)));
  expect(uses.length).toBeGreaterThan(10);
  for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
});
