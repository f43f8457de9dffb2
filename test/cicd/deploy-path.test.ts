// Reads deploy.yml (and ci.yml) and checks the path a commit takes to production: only after CI
// passed and only while it is main's head, AWS and Pulumi through OIDC only, each role from its
// own environment, CI's tested images pushed unchanged (by digest), the committed FastApiApp
// applied and waited on until Ready, no migrations run from the runner, one deploy at a time.
import { allSteps, ancestors, loadWorkflow, runScripts, workflowFiles, type Step } from './workflows';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { parseConfig } from '../../infra/config';

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

  test('when started by hand, then the gate finds the CI run that passed for the commit, or fails', () => {
    const ci = deploy.jobs.gate!.steps.find((s) => s.id === 'ci')!;
    expect(ci.env?.RUN_ID).toBe('${{ github.event.workflow_run.id }}');
    expect(scriptOf(ci)).toMatch(/gh run list .*--workflow ci\.yml .*--commit "\$SHA"/s);
    expect(scriptOf(ci)).toContain('--status success');
    expect(scriptOf(ci)).toMatch(/CI has not succeeded[\s\S]*exit 1/);
    expect(deploy.jobs.gate!.permissions).toEqual({ actions: 'read', contents: 'read' });
  });

  test('when the commit is resolved, then it is the commit CI ran on', () => {
    const sha = deploy.jobs.gate!.steps.find((s) => s.id === 'sha')!;
    expect(sha.env).toEqual({ SHA: '${{ github.event.workflow_run.head_sha || github.sha }}' });
    for (const name of ['infra', 'rollout']) {
      const checkout = deploy.jobs[name]!.steps.find((s) => s.uses?.startsWith('actions/checkout@'));
      expect(checkout?.with?.ref).toBe('${{ needs.gate.outputs.sha }}');
    }
  });
});

describe('deploys in order: only main\'s head is rolled out', () => {
  const headCheck = (s: Step) => /gh api "repos\/\$GITHUB_REPOSITORY\/commits\/main" --jq \.sha/.test(scriptOf(s));

  test('when main has moved past the commit, then the gate says so and infra, images, operator and rollout are skipped', () => {
    const gate = deploy.jobs.gate!;
    const head = gate.steps.find((s) => s.id === 'head')!;
    expect(headCheck(head)).toBe(true);
    expect(scriptOf(head)).toMatch(/if \[ "\$head" = "\$SHA" \]; then\s+echo "current=true"[\s\S]*echo "current=false"/);
    expect((gate as unknown as { outputs: Record<string, string> }).outputs.current).toBe('${{ steps.head.outputs.current }}');
    expect(deploy.jobs.infra!.if).toBe("needs.gate.outputs.current == 'true'");
    // images, operator and rollout need infra: a skipped infra skips them.
    for (const name of ['images', 'operator', 'rollout']) expect(ancestors(deploy, name)).toContain('infra');
  });

  test.each(['operator', 'rollout'])('when main moves while a deploy runs, then the %s job checks again and changes nothing in the cluster', (job) => {
    const steps = deploy.jobs[job]!.steps;
    const at = steps.findIndex((s) => s.id === 'head');
    expect(headCheck(steps[at]!)).toBe(true);
    const kubeconfig = steps.findIndex((s) => scriptOf(s).includes('aws eks update-kubeconfig'));
    expect(at).toBeLessThan(kubeconfig);
    for (const s of steps.slice(at + 1).filter((x) => !x.if?.startsWith('failure()'))) {
      // Every later step is guarded by the head check first (optional steps may add their own condition).
      expect([s.name ?? s.uses, s.if]).toEqual([s.name ?? s.uses, expect.stringMatching(/^steps\.head\.outputs\.current == 'true'( && [^|]+)?$/)]);
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
    expect(awsLogins.map((s) => s.job).sort()).toEqual(['images', 'infra', 'operator', 'rollout']);
    for (const s of awsLogins) {
      expect(s.with?.['role-to-assume']).toMatch(/^\$\{\{ vars\.AWS_(CI|INFRA)_ROLE_ARN \}\}$/);
      expect(deploy.jobs[s.job]!.permissions).toMatchObject({ contents: 'read', 'id-token': 'write' });
    }
    // Only `pulumi up` and the operator install get the broad infra role; pushing and rolling out use the narrow CI role.
    const infraJobs = ['infra', 'operator'];
    for (const s of awsLogins) {
      expect([s.job, s.with!['role-to-assume']]).toEqual([s.job, infraJobs.includes(s.job) ? '${{ vars.AWS_INFRA_ROLE_ARN }}' : '${{ vars.AWS_CI_ROLE_ARN }}']);
    }
  });

  test('when a job assumes a role, then it runs in the GitHub environment that role alone trusts', () => {
    const required: Record<string, string> = { githubRepo: 'acme/x', publicAccessCidrs: '["203.0.113.0/24"]', infraReviewerIds: '["1"]' };
    const defaults = parseConfig((k) => required[k], 'eu-west-1', 'dev');
    const envOf = (job: string) => (deploy.jobs[job] as unknown as { environment?: string }).environment;
    expect(envOf('infra')).toBe(defaults.infraEnvironment);
    expect(envOf('operator')).toBe(defaults.infraEnvironment);
    expect(envOf('images')).toBe(defaults.deployEnvironment);
    expect(envOf('rollout')).toBe(defaults.deployEnvironment);
    expect(envOf('gate')).toBeUndefined();
    expect(defaults.infraEnvironment).not.toBe(defaults.deployEnvironment);
  });

  test('when `pulumi up` runs, then the trusted repository is this one and Pulumi state needs no stored token', () => {
    const infra = deploy.jobs.infra!;
    const up = infra.steps.find((s) => s.uses?.startsWith('pulumi/actions@'))!;
    // "${{ x }}" inside a string -> "<x>"; a bare ${{ toJSON(x) }} (a JSON string itself) -> "<toJSON(x)>"
    const configMap = JSON.parse(String(up.with!['config-map']).replace(/\$\{\{ ([^}]+) \}\}/g, '<$1>').replace(/: (<toJSON\([^)]+\)>)/g, ': "$1"'));
    expect(configMap['fastapiapp:githubRepo']).toEqual({ value: '<github.repository>', secret: false });
    // required, no defaults: the endpoint CIDRs and who approves infrastructure runs come from repository variables
    expect(configMap['fastapiapp:publicAccessCidrs']).toEqual({ value: '<toJSON(vars.EKS_PUBLIC_ACCESS_CIDRS)>', secret: false });
    expect(configMap['fastapiapp:infraReviewerIds']).toEqual({ value: '<toJSON(vars.INFRA_REVIEWER_IDS)>', secret: false });
    // the job that will hold the admin role's token runs no dependency install script
    expect(infra.steps.find((s) => s.run?.startsWith('npm ci'))!.run).toBe('npm ci --ignore-scripts');
    expect(configMap['aws:region']).toEqual({ value: '<vars.AWS_REGION>', secret: false });
    expect(up.with!['cloud-url']).toBe('${{ vars.PULUMI_BACKEND_URL }}');
    const auth = infra.steps.find((s) => s.uses?.startsWith('pulumi/auth-actions@'))!;
    expect(auth.with).toEqual({ organization: '${{ vars.PULUMI_ORGANIZATION }}', 'requested-token-type': 'urn:pulumi:token-type:access_token:organization' });
    expect(auth.if).toBe("vars.PULUMI_BACKEND_URL == ''");
    for (const raw of raws) expect(raw).not.toContain('PULUMI_ACCESS_TOKEN');
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
  test('when images are pushed, then they are CI\'s tested images, unchanged, tagged with the SHA and their digests kept', () => {
    const job = deploy.jobs.images!;
    for (const s of job.steps) expect(scriptOf(s)).not.toMatch(/docker (buildx )?build/);
    expect(job.steps.some((s) => s.uses?.startsWith('actions/checkout@'))).toBe(false);
    const download = job.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    expect(download.with).toMatchObject({ pattern: 'image-*', 'run-id': '${{ needs.gate.outputs.ci-run-id }}' });
    expect(job.permissions).toEqual({ actions: 'read', contents: 'read', 'id-token': 'write' });
    const push = job.steps.find((s) => s.id === 'push')!;
    expect(push.env?.SHA).toBe('${{ needs.gate.outputs.sha }}');
    const script = scriptOf(push);
    expect(script).toMatch(/tested="\$\(cat "\$dir\/image-id"\)"/);
    expect(script).toMatch(/docker image inspect --format '\{\{\.Id\}\}' "\$loaded"\)" != "\$tested"/);
    expect(script).toContain('docker push --quiet "$2:$SHA"');
    expect(script.match(/docker tag /g)).toHaveLength(1);
    // After the push, ECR's manifest must name the tested config digest.
    expect(script).toMatch(/jq -r \.config\.digest\)"[\s\S]*if \[ "\$config" != "\$tested" \] && \[ "\$digest" != "\$tested" \]/);
    expect(script).toMatch(/push app "\$APP_REPOSITORY"/);
    expect(script).toMatch(/push operator "\$OPERATOR_REPOSITORY"/);
    expect((job as unknown as { outputs: Record<string, string> }).outputs).toEqual({
      'app-digest': '${{ steps.push.outputs.app-digest }}',
      'operator-digest': '${{ steps.push.outputs.operator-digest }}',
    });
  });

  const stepIndex = (scripts: string[]) => (re: RegExp) => {
    const i = scripts.findIndex((s) => re.test(s));
    expect([re.source, i]).not.toEqual([re.source, -1]);
    return i;
  };

  test('when the operator job runs, then it installs the CRD and the operator at the SHA by digest, as the cluster-admin role', () => {
    const job = deploy.jobs.operator!;
    expect(job.env?.SHA).toBe('${{ needs.gate.outputs.sha }}');
    expect(job.needs).toEqual(['gate', 'infra', 'images']);
    const scripts = job.steps.map(scriptOf);
    const at = stepIndex(scripts);
    const kubeconfig = at(/aws eks update-kubeconfig --name "\$CLUSTER_NAME" --region "\$AWS_REGION" --role-arn "\$CLUSTER_ADMIN_ROLE_ARN"$/);
    const crds = at(/kubectl apply .*-f crds\//);
    const operator = at(/digest: "\$OPERATOR_DIGEST"[\s\S]*kubectl apply .*operator-install\.yaml/);
    const dashboards = at(/-n "\$GRAFANA_NAMESPACE" -f cdk8s\/dist\/grafana-dashboards\.yaml/);
    expect([kubeconfig, crds, operator, dashboards]).toEqual([...[kubeconfig, crds, operator, dashboards]].sort((a, b) => a - b));
    expect(job.env?.CLUSTER_ADMIN_ROLE_ARN).toBe('${{ needs.infra.outputs.cluster-admin-role }}');
    expect(deploy.jobs.infra!.steps.find((s) => s.id === 'stack')!.run).toContain('echo "cluster-admin-role=$(pulumi stack output clusterAdminRoleArn');
    expect(job.env?.OPERATOR_DIGEST).toBe('${{ needs.images.outputs.operator-digest }}');
    expect(scripts[operator]).toContain('grep -q "image: $OPERATOR_REPOSITORY@$OPERATOR_DIGEST"');

    // With RDS: the region's CA bundle, over HTTPS only, into the ConfigMap the committed FastApiApp reads as DATABASE_CA_CERT.
    const ca = at(/create configmap rds-ca-bundle --from-file=ca\.pem=/);
    expect(scripts[ca]).toContain(`curl --fail --silent --show-error --proto '=https'`);
    expect(job.steps[ca]!.if).toContain("needs.infra.outputs.database-ca-bundle-url != ''");
    const app = YAML.parse(fs.readFileSync(path.join(__dirname, '../../deploy/fastapiapp.yaml'), 'utf8'));
    expect(app.spec.env).toContainEqual({ name: 'DATABASE_CA_CERT', valueFrom: { configMapKeyRef: { name: 'rds-ca-bundle', key: 'ca.pem', optional: true } } });
  });

  test('when the rollout runs, then it applies only the committed FastApiApp, as the deploy role, after the operator job, then waits for Ready', () => {
    const rollout = deploy.jobs.rollout!;
    expect(rollout.env?.SHA).toBe('${{ needs.gate.outputs.sha }}');
    expect(ancestors(deploy, 'rollout')).toContain('operator');
    const scripts = rollout.steps.map(scriptOf);
    const at = stepIndex(scripts);
    const kubeconfig = at(/aws eks update-kubeconfig --name "\$CLUSTER_NAME" --region "\$AWS_REGION"$/);
    const tag = at(/kubectl apply --server-side .*-f "\$APP_MANIFEST"/);
    const ready = at(/kubectl -n "\$FAA_NAMESPACE" wait "faa\/\$FAA_NAME" --for=condition=Ready --timeout=15m/);
    expect([kubeconfig, tag, ready]).toEqual([...[kubeconfig, tag, ready]].sort((a, b) => a - b));
    // The deploy role applies nothing but the FastApiApp: no CRD, operator or dashboards from this job.
    const applies = scripts.flatMap((s) => s.match(/kubectl apply [^\n]*/g) ?? []);
    expect(applies).toEqual(['kubectl apply --server-side --force-conflicts --field-manager=deploy-workflow -f "$APP_MANIFEST"']);
    // The committed FastApiApp, with only image and tag set by the run.
    expect(deploy.env?.APP_MANIFEST).toBe('deploy/fastapiapp.yaml');
    expect(scripts[tag]).toContain(`yq -i '.spec.image = strenv(APP_REPOSITORY) | .spec.tag = strenv(SHA)' "$APP_MANIFEST"`);
    expect(scripts[tag]).not.toMatch(/kubectl (patch|create)/);
    // A stale Ready (previous tag) must not pass the wait.
    expect(scripts[ready]).toMatch(/--for=jsonpath='\{\.status\.observedGeneration\}'="\$generation"[\s\S]*--for=condition=Ready/);
  });

  test('when the rollout fails, then conditions, events and the migration Job logs are printed', () => {
    const diag = deploy.jobs.rollout!.steps.find((s) => s.if?.startsWith('failure()'));
    const script = scriptOf(diag!);
    expect(script).toContain('{range .status.conditions[*]}');
    expect(script).toContain('get events');
    expect(script).toContain('app.kubernetes.io/component=migration');
    expect(script).toMatch(/kubectl -n "\$FAA_NAMESPACE" logs "\$job"/);
  });

  test('when any workflow step runs, then none runs migrations or touches a real database (CI\'s smoke test uses its own), but the db-role pod', () => {
    const dbTouch = /\bmigrate\b|migrate\.js|knex|DATABASE_URL|psql/i;
    for (const script of runScripts(deploy)) expect(script).not.toMatch(dbTouch);
    // The one step that reaches the database: the operator job's db-role pod (the app image's db-role.js, input on stdin).
    const dbRole = allSteps(deploy).filter((s) => /db-role\.js/.test(JSON.stringify(s)));
    expect(dbRole.map((s) => s.job)).toEqual(['operator']);
    expect(scriptOf(dbRole[0]!)).toMatch(/\| kubectl -n "\$namespace" run "\$name" --image="\$APP_REPOSITORY@\$APP_DIGEST" --restart=Never --rm -i --quiet --overrides="\$pod"$/m);
    expect(scriptOf(dbRole[0]!)).toContain('sslmode=verify-full');
    expect(scriptOf(dbRole[0]!)).not.toMatch(/--env|set -x|echo "\$(master|app)"/);
    const touching = allSteps(ci).filter((s) => dbTouch.test(scriptOf(s)));
    expect(touching.map((s) => [s.job, s.name])).toEqual([['images', 'Smoke test the app image (migrate, serve, /health, read-only root)']]);
    // ...against the job's throwaway PostgreSQL service on loopback.
    expect(touching[0]!.env?.DATABASE_URL).toBe('postgres://smoke:smoke@127.0.0.1:5432/smoke');
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
