// Loads .github/workflows/*.yml with the `yaml` package into a small typed view for the tests.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export const ROOT = path.resolve(__dirname, '../..');
export const WORKFLOW_DIR = path.join(ROOT, '.github/workflows');

export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
export interface Job {
  if?: string;
  needs?: string | string[];
  permissions?: Record<string, string> | string;
  env?: Record<string, unknown>;
  steps: Step[];
  strategy?: { matrix?: Record<string, unknown> };
}
export interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  concurrency?: { group: string; 'cancel-in-progress': unknown };
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

export function workflowFiles(): string[] {
  return fs
    .readdirSync(WORKFLOW_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => path.join(WORKFLOW_DIR, f));
}

export function loadWorkflow(file: string): { raw: string; wf: Workflow } {
  const raw = fs.readFileSync(path.join(WORKFLOW_DIR, file), 'utf8');
  return { raw, wf: YAML.parse(raw) as Workflow };
}

export const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : ([] as string[]).concat(job.needs));

/** Every job `name` transitively needs. */
export function ancestors(wf: Workflow, name: string): Set<string> {
  const seen = new Set<string>();
  const visit = (n: string) => {
    for (const parent of needsOf(wf.jobs[n]!)) {
      if (!seen.has(parent)) {
        seen.add(parent);
        visit(parent);
      }
    }
  };
  visit(name);
  return seen;
}

export const allSteps = (wf: Workflow): Array<Step & { job: string }> =>
  Object.entries(wf.jobs).flatMap(([job, j]) => j.steps.map((s) => ({ ...s, job })));

export const runScripts = (wf: Workflow): string[] => allSteps(wf).flatMap((s) => (s.run ? [s.run] : []));
