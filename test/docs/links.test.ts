// The README and docs/: every relative link resolves, every alert has the runbook its runbook_url names.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadRules } from '../monitoring/support/sources';
import { buildPrometheusRule, type AlertingRule } from '../../operator/src/desired';
import { fastApiApp } from '../api/fixtures';
import { anchorsOf, brokenLinks, markdownFiles } from './support/links';

const REPO = path.resolve(__dirname, '..', '..');
const DOCS = path.join(REPO, 'docs');
const RUNBOOKS = path.join(DOCS, 'operations', 'runbooks');
const pages = [
  ...['README.md', 'CONTRIBUTING.md', 'SECURITY.md'].map((f) => path.join(REPO, f)),
  ...markdownFiles(DOCS),
];

describe('README and docs/', () => {
  it('when the README is measured, then it fits in 12 KB and starts with the two commands', () => {
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(12 * 1024);
    const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toContain('npm ci && npm start');
    expect(firstBlock).toContain('npm test');
  });

  it.each(pages.map((p) => [path.relative(REPO, p)]))('when %s is read, then every relative link and anchor resolves', (rel) => {
    expect(brokenLinks(path.join(REPO, rel))).toEqual([]);
  });

  it('when docs/README.md is read, then it links every page under docs/', () => {
    const index = fs.readFileSync(path.join(DOCS, 'README.md'), 'utf8');
    const runbookPages = (p: string) => path.dirname(p) === RUNBOOKS && path.basename(p) !== 'README.md';
    const unlisted = markdownFiles(DOCS)
      .filter((p) => p !== path.join(DOCS, 'README.md') && !runbookPages(p))
      .map((p) => path.relative(DOCS, p))
      .filter((rel) => !index.includes(`](${rel})`));
    expect(unlisted).toEqual([]);
  });

  it('when a page has a broken link or anchor, then the check reports it (the check can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docs-links-'));
    try {
      fs.writeFileSync(path.join(dir, 'b.md'), '# Title\n\n## Two words `code`\n');
      fs.writeFileSync(path.join(dir, 'a.md'),
        '[ok](b.md) [ok](b.md#two-words-code) [web](https://example.com/x)\n\n```\n[in code](nowhere.md)\n```\n\n[gone](c.md) [bad](b.md#nope)\n');
      expect(brokenLinks(path.join(dir, 'a.md'))).toEqual(['c.md: no such file', 'b.md#nope: no heading with that anchor']);
      expect([...anchorsOf('# A\n# A\n## Deploy to AWS (`infra/`)\n')]).toEqual(['a', 'a-1', 'deploy-to-aws-infra']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('runbooks', () => {
  // The committed rules, and the burn-rate alerts the operator generates from spec.slo (with the
  // default runbook base, this folder's repository path).
  const generated = buildPrometheusRule(fastApiApp({ slo: { availability: { objective: '99.9' }, latency: { threshold: '0.5', objective: '99' } } }))
    .spec.groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => 'alert' in r)
    .filter((r, i, all) => all.findIndex((x) => x.alert === r.alert) === i);
  const alerts = [...loadRules().filter((r) => r.alert), ...generated];

  it('when the rules are loaded, then there are alerts to check', () => {
    expect(alerts.length).toBeGreaterThan(10);
  });

  it.each(alerts.map((a) => [a.alert as string, a] as const))('alert %s has a runbook_url naming its existing page', (name, a) => {
    const url = a.annotations?.runbook_url;
    expect(url).toBe(`docs/operations/runbooks/${name}.md`);
    const page = fs.readFileSync(path.join(REPO, url!), 'utf8');
    expect(page.split('\n')[0]).toBe(`# ${name}`);
    expect(page).toMatch(/## What it means[\s\S]*## How to check[\s\S]*## What to do/);
  });

  it('when the runbooks folder is listed, then every page belongs to an alert', () => {
    const names = new Set(alerts.map((a) => `${a.alert}.md`));
    const orphans = fs.readdirSync(RUNBOOKS).filter((f) => f !== 'README.md' && !names.has(f));
    expect(orphans).toEqual([]);
  });
});
