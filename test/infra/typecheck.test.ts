// `tsc` type-checks the Pulumi program exactly as `pulumi up` compiles it (infra/tsconfig.json).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

test('when the infra program is type-checked, then tsc reports no errors', async () => {
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const result = await promisify(execFile)(process.execPath, [tsc, '-p', 'infra/tsconfig.json', '--noEmit'], { cwd: root })
    .then(() => ({ code: 0, out: '' }))
    .catch((e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }));
  expect(result.out).toBe('');
  expect(result.code).toBe(0);
}, 240_000);
