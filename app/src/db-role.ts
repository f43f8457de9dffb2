// `node dist/app/src/db-role.js`: creates or rotates the app's own database role (data/app-role.ts)
// as the master user. Its input comes on stdin, one JSON object, so no credential is in the pod's
// spec, arguments or environment: {"adminUrl": "postgres://master:...@host:5432/fastapiapp",
// "role": "fastapiapp_app", "password": "..."}. TLS as the app's: DATABASE_CA_FILE or
// DATABASE_CA_CERT (verify-full). Prints one line without secrets; exit 0 done, 1 failed, 2 bad input.
import pg from 'pg';
import { ConfigError, loadConfig } from './config.js';
import { AppRoleError, ensureAppRole } from './data/app-role.js';
import { connectionSettings } from './data/database.js';

interface Input {
  adminUrl: string;
  role: string;
  password: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseInput(raw: string): Input {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new AppRoleError('stdin must be one JSON object {adminUrl, role, password}');
  }
  const o = v as Partial<Input>;
  for (const k of ['adminUrl', 'role', 'password'] as const) {
    if (typeof o?.[k] !== 'string' || o[k] === '') throw new AppRoleError(`stdin: "${k}" must be a non-empty string`);
  }
  return o as Input;
}

export async function main(): Promise<number> {
  let input: Input;
  let client: pg.Client;
  try {
    input = parseInput(await readStdin());
    const cfg = loadConfig({ ...process.env, DATABASE_URL: input.adminUrl }, process.cwd());
    client = new pg.Client(connectionSettings({ ...cfg.db, url: input.adminUrl }));
  } catch (err) {
    if (err instanceof AppRoleError || err instanceof ConfigError) {
      process.stderr.write(`db-role: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const database = decodeURIComponent(new URL(input.adminUrl).pathname.slice(1));
  try {
    await client.connect();
    await ensureAppRole(client, { role: input.role, database, password: input.password });
    process.stdout.write(`db-role: role ${input.role} ensured in database ${database}\n`);
    return 0;
  } catch (err) {
    // pg's messages name objects, never the statement's text: no verifier or password is printed.
    process.stderr.write(`db-role: ${(err as Error).message}\n`);
    return err instanceof AppRoleError ? 2 : 1;
  } finally {
    await client.end().catch(() => {});
  }
}

if (require.main === module) {
  main().then((code) => process.exit(code), (err) => {
    process.stderr.write(`db-role: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
