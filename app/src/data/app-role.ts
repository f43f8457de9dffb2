// The app's own database role (issue 29): the app and its migrations connect as this role, not as
// the RDS master user. It may log in to its one database and owns the app's objects in `public`
// (so migrations still create and alter tables), and nothing more: no superuser, CREATEROLE,
// CREATEDB, REPLICATION or BYPASSRLS; PUBLIC loses CONNECT on the database and CREATE on the schema.
// Run by the master user (db-role.ts, from the Deploy workflow's operator job); idempotent, and a
// run with a new password rotates it. The password is sent as a SCRAM-SHA-256 verifier, so the
// plaintext never reaches the server (nor its statement log).
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
export const SCRAM_ITERATIONS = 4096;

export class AppRoleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AppRoleError';
  }
}

/** PostgreSQL's SCRAM-SHA-256 verifier of `password` (RFC 5802/7677, as libpq's PQencryptPasswordConn). */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = SCRAM_ITERATIONS): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

export interface AppRoleOptions {
  role: string;
  database: string;
  /** At least 24 characters. */
  password: string;
}

/** Pure: the statements, in order (the password only as its verifier). */
export function appRoleStatements(o: AppRoleOptions, salt?: Buffer): string[] {
  if (!IDENT.test(o.role)) throw new AppRoleError(`role "${o.role}" must be a lower-case identifier (a-z, 0-9, _)`);
  if (!IDENT.test(o.database)) throw new AppRoleError(`database "${o.database}" must be a lower-case identifier (a-z, 0-9, _)`);
  if (o.password.length < 24) throw new AppRoleError('the password must have at least 24 characters');
  const { role, database } = o;
  const verifier = scramVerifier(o.password, salt);
  const owned = (kinds: string) => `SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relowner = current_user::text::regrole AND c.relkind IN (${kinds})
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))`;
  return [
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role}; END IF; END $$`,
    `ALTER ROLE ${role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD '${verifier}'`,
    // PostgreSQL 16+: the creator may grant the role but is not a member; owning objects needs membership.
    `GRANT ${role} TO CURRENT_USER`,
    `REVOKE ALL ON DATABASE ${database} FROM PUBLIC`,
    `GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${role}`,
    'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
    `GRANT USAGE, CREATE ON SCHEMA public TO ${role}`,
    // What earlier migrations created as the master user becomes the role's (sequences owned by a column move with their table).
    `DO $$ DECLARE r record; BEGIN
      FOR r IN ${owned("'r', 'p'")} LOOP EXECUTE format('ALTER TABLE %s OWNER TO ${role}', r.name); END LOOP;
      FOR r IN ${owned("'S'")} LOOP EXECUTE format('ALTER SEQUENCE %s OWNER TO ${role}', r.name); END LOOP;
      FOR r IN ${owned("'v'")} LOOP EXECUTE format('ALTER VIEW %s OWNER TO ${role}', r.name); END LOOP;
      FOR r IN ${owned("'m'")} LOOP EXECUTE format('ALTER MATERIALIZED VIEW %s OWNER TO ${role}', r.name); END LOOP;
      FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = 'public' AND p.proowner = current_user::text::regrole
        LOOP EXECUTE format('ALTER ROUTINE %s OWNER TO ${role}', r.name); END LOOP;
    END $$`,
  ];
}

/** Anything with pg's `query(text)`: a Client connected as the master user to `database`. */
export interface Queryable {
  query(text: string): Promise<unknown>;
}

/** Runs the statements in one transaction. */
export async function ensureAppRole(admin: Queryable, o: AppRoleOptions): Promise<void> {
  const statements = appRoleStatements(o);
  await admin.query('BEGIN');
  try {
    for (const s of statements) await admin.query(s);
    await admin.query('COMMIT');
  } catch (err) {
    await admin.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
