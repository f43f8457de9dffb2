// Running as root from a private checkout (mode 0700), the postgres user must still reach the
// embedded binaries and the data directory: grantTraversal adds o+x only where it is missing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { embeddedPostgresBinary, grantTraversal } from '../../app/src/data/postgres-access';

let root: string;
beforeEach(() => { root = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-access-')); });
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const mode = (p: string) => fs.statSync(p).mode & 0o7777;

test('when a target sits below private directories, then exactly those gain o+x and nothing else changes', () => {
  const a = path.join(root, 'a');
  const b = path.join(a, 'b');
  fs.mkdirSync(b, { recursive: true });
  fs.chmodSync(root, 0o700);
  fs.chmodSync(a, 0o750);
  fs.chmodSync(b, 0o755);

  const changed = grantTraversal(path.join(b, 'initdb'));

  expect(changed).toEqual([a, root]);
  expect([mode(root), mode(a), mode(b)]).toEqual([0o701, 0o751, 0o755]);
  expect(grantTraversal(path.join(b, 'initdb'))).toEqual([]);
});

test('when the target directory does not exist yet, then its existing ancestors are opened and nothing is created', () => {
  fs.chmodSync(root, 0o700);
  const data = path.join(root, 'not-yet', 'data');

  expect(grantTraversal(path.join(data, 'PG_VERSION'))).toEqual([root]);
  expect(fs.existsSync(path.join(root, 'not-yet'))).toBe(false);
});

test('when the embedded binaries are looked up, then initdb and postgres exist and are executable', () => {
  for (const name of ['initdb', 'postgres']) {
    const file = embeddedPostgresBinary(name);
    expect(() => fs.accessSync(file, fs.constants.X_OK)).not.toThrow();
  }
});
