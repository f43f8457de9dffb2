// actionlint (with shellcheck on every `run:` script) over every workflow. The binary is built by
// test/pretest.d/30-actionlint.sh from its Go module; this suite fails loudly when it is missing.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, workflowFiles } from './workflows';

const script = fs.readFileSync(path.join(ROOT, 'test/pretest.d/30-actionlint.sh'), 'utf8');
const version = /^ACTIONLINT_VERSION=(\S+)$/m.exec(script)?.[1];
const toolsDir = process.env.FASTAPIAPP_TOOLS_DIR ?? path.join(os.homedir(), '.cache/fastapiapp-tools');
const binary = path.join(toolsDir, `actionlint-${version}`, 'actionlint');

function actionlint(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(binary, ['-no-color', '-oneline', ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

beforeAll(() => {
  if (!version) throw new Error('test/pretest.d/30-actionlint.sh lost its ACTIONLINT_VERSION= line');
  if (!fs.existsSync(binary)) {
    throw new Error(`actionlint ${version} is not built at ${binary}: run \`bash test/pretest.d/30-actionlint.sh\` (needs Go at /usr/local/go/bin)`);
  }
  const shellcheck = (process.env.PATH ?? '').split(path.delimiter).some((d) => fs.existsSync(path.join(d, 'shellcheck')));
  if (!shellcheck) throw new Error('shellcheck is not on PATH (actionlint would skip run: scripts): apt-get install shellcheck');
});

test('when every workflow is linted, then actionlint and shellcheck report nothing', async () => {
  const files = workflowFiles();
  expect(files.map((f) => path.basename(f)).sort()).toEqual(['ci.yml', 'deploy.yml']);
  const { code, out } = await actionlint(files);
  expect(out).toBe('');
  expect(code).toBe(0);
});

test('when a workflow has a bad expression and an unquoted variable, then actionlint reports both', async () => {
  // Proves the linter (and its shellcheck integration) is live, so the clean result above means something.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actionlint-'));
  const bad = path.join(dir, 'bad.yml');
  fs.writeFileSync(
    bad,
    ['on: push', 'jobs:', '  x:', '    runs-on: ubuntu-24.04', '    steps:', '      - run: echo ${{ github.nope }}', '      - run: rm -rf $DIR/*', ''].join('\n'),
  );
  try {
    const { code, out } = await actionlint([bad]);
    expect(code).toBe(1);
    expect(out).toMatch(/property "nope" is not defined/);
    expect(out).toMatch(/SC2086/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
