// The images the end-to-end suites deploy: the real app and operator images built from the repo's
// Dockerfiles (as test/images builds them), app variants layered on the app image, each adding
// migrations (or breaking the server) the way a new release would, and FROM-scratch images of
// binaries built or installed on this machine (the Prometheus Operator suite's).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildah, buildImage } from '../../images/support/buildah';

export const APP_REPO = 'localhost/fastapiapp-app';
export const OPERATOR_IMAGE = 'localhost/fastapiapp-operator:e2e';
const MIGRATIONS_DIR = '/app/dist/app/migrations';
const SHIPPED = ['001_create_items', '002_add_price', '003_add_sentiment', '004_add_updated_at', '005_create_idempotency_keys'];

export interface Variant {
  tag: string;
  /** Migrations after the shipped ones: name -> CommonJS module text (exports.up/down). */
  migrations?: Record<string, string>;
  /** Replaces the image's command (a server that never becomes ready). */
  cmd?: string[];
  /**
   * Test-only faults (fault/preload.cjs, loaded with NODE_OPTIONS=--require): every /items response
   * says which variant answered; errorRatio of them answer 500; each is delayed by delayMs.
   */
  fault?: { variant: string; errorRatio?: number; delayMs?: number };
}

export const addColumn = (column: string) => `exports.up = (knex) => knex.schema.alterTable('items', (t) => { t.text('${column}'); });
exports.down = (knex) => knex.schema.alterTable('items', (t) => { t.dropColumn('${column}'); });
`;

/** The releases the scenarios walk through, in order. */
export const VARIANTS: Record<string, Variant> = {
  v1: { tag: 'e2e-v1' },
  v2: { tag: 'e2e-v2', migrations: { '104_add_note': addColumn('note') } },
  v3: {
    tag: 'e2e-v3',
    migrations: {
      '104_add_note': addColumn('note'),
      '105_add_rating': "exports.up = (knex) => knex.raw('alter table no_such_table add column rating integer');\nexports.down = async () => {};\n",
    },
  },
  v4: { tag: 'e2e-v4', migrations: { '104_add_note': addColumn('note'), '105_add_rating': addColumn('rating') } },
  v5: { tag: 'e2e-v5', migrations: { '104_add_note': addColumn('note'), '105_add_rating': addColumn('rating') }, cmd: ['node', '-e', 'setInterval(() => {}, 1 << 30)'] },
  v6: {
    tag: 'e2e-v6',
    migrations: {
      '104_add_note': addColumn('note'),
      '105_add_rating': addColumn('rating'),
      // Long enough to lose the operator's leader while it runs.
      '106_add_origin': "exports.up = async (knex) => { await knex.raw('select pg_sleep(12)'); await knex.schema.alterTable('items', (t) => { t.text('origin'); }); };\nexports.down = async () => {};\n",
    },
  },
};

/**
 * release-ordering.test.ts: A (the app image), B whose one new migration sleeps (twice: `pre` lints
 * it in a rolled-back dry run, then runs it), C shipping the same migration name without the sleep.
 * Whichever of B and C applies 110 first, the other finds it applied.
 */
export const ORDERING_SLEEP_SECONDS = 15;
export const ORDERING_IMAGES: AppImageSet = {
  repo: 'localhost/fastapiapp-order-app',
  operatorImage: 'localhost/fastapiapp-order-operator:e2e',
  variants: {
    v1: { tag: 'order-a' },
    b: {
      tag: 'order-b',
      migrations: {
        '110_add_ordered': `exports.up = async (knex) => { await knex.raw('select pg_sleep(${ORDERING_SLEEP_SECONDS})'); await knex.schema.alterTable('items', (t) => { t.text('ordered'); }); };
exports.down = (knex) => knex.schema.alterTable('items', (t) => { t.dropColumn('ordered'); });
`,
      },
    },
    c: { tag: 'order-c', migrations: { '110_add_ordered': addColumn('ordered') } },
  },
};

function migrationIndex(names: string[]): string {
  const entries = names.map((n) => `  { name: '${n}', migration: require('./${n}.js') },`).join('\n');
  return `'use strict';\nexports.migrations = [\n${entries}\n];\n`;
}

async function buildVariant(repo: string, base: string, variant: Variant): Promise<string> {
  const ref = `${repo}:${variant.tag}`;
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'fastapiapp-variant-'));
  try {
    const lines = [`FROM ${base}`];
    if (variant.migrations) {
      fs.mkdirSync(path.join(ctx, 'migrations'));
      const names = [...SHIPPED, ...Object.keys(variant.migrations)];
      fs.writeFileSync(path.join(ctx, 'migrations', 'index.js'), migrationIndex(names));
      for (const [name, text] of Object.entries(variant.migrations)) fs.writeFileSync(path.join(ctx, 'migrations', `${name}.js`), text);
      lines.push(`COPY migrations/ ${MIGRATIONS_DIR}/`);
    }
    if (variant.cmd) lines.push(`CMD ${JSON.stringify(variant.cmd)}`);
    if (variant.fault) {
      fs.copyFileSync(path.join(__dirname, 'fault/preload.cjs'), path.join(ctx, 'preload.cjs'));
      const { variant: name, errorRatio = 0, delayMs = 0 } = variant.fault;
      lines.push('COPY preload.cjs /fault/preload.cjs',
        `ENV NODE_OPTIONS="--require /fault/preload.cjs" FAULT_VARIANT=${JSON.stringify(name)} FAULT_ERROR_RATIO=${errorRatio} FAULT_DELAY_MS=${delayMs}`);
    }
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `${lines.join('\n')}\n`);
    await buildah(['bud', '--isolation', 'chroot', '--pull=never', '--layers', '--format', 'docker', '-f', path.join(ctx, 'Dockerfile'), '-t', ref, ctx], { timeoutMs: 300_000 });
    return ref;
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
}

export interface AppImageSet {
  /** Repository of the app image and its variants, e.g. localhost/fastapiapp-app (each suite its own). */
  repo: string;
  operatorImage: string;
  /** Variants by key; `v1` is the app image itself, the others are layered on it. */
  variants: Record<string, Variant>;
}

/** Builds the operator image and every app variant of a set; returns their references. */
export async function buildAppImages(set: AppImageSet): Promise<{ operator: string; app: Record<string, string> }> {
  const base = `${set.repo}:${set.variants.v1!.tag}`;
  await buildImage('Dockerfile.app', base);
  await buildImage('Dockerfile.operator', set.operatorImage);
  const app: Record<string, string> = { v1: base };
  for (const [key, variant] of Object.entries(set.variants)) if (key !== 'v1') app[key] = await buildVariant(set.repo, base, variant);
  return { operator: set.operatorImage, app };
}

/** `base` rebuilt with other bytes (one more label) as `${base}-rebuilt`: what re-pushing a tag publishes. */
export async function buildRebuiltImage(base: string): Promise<string> {
  const ref = `${base}-rebuilt`;
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'fastapiapp-rebuilt-'));
  try {
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${base}\nLABEL io.fastapiapp.rebuilt=true\n`);
    await buildah(['bud', '--isolation', 'chroot', '--pull=never', '--format', 'docker', '-t', ref, ctx], { timeoutMs: 300_000 });
    return ref;
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
}

/** The whole-path suite's images. */
export const buildE2eImages = () => buildAppImages({ repo: APP_REPO, operatorImage: OPERATOR_IMAGE, variants: VARIANTS });

/**
 * The release-history suite's images (releases.test.ts): r1..r5 each add a nullable column
 * (expand, pre-deploy), r6 then drops r1's column (contract: `exports.phase = 'post'`), and
 * r1-revert is r1's source rebuilt under a new tag, as reverting the commit would (same
 * migration list as r1, not in the app's history). `base` is the app image itself, not deployed.
 */
export const RELEASES_REPO = 'localhost/fastapiapp-releases';
const dropColumn = (column: string) => `exports.phase = 'post';
exports.up = (knex) => knex.schema.alterTable('items', (t) => { t.dropColumn('${column}'); });
exports.down = (knex) => knex.schema.alterTable('items', (t) => { t.text('${column}'); });
`;
const expand = (n: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`10${i + 1}_add_c${i + 1}`, addColumn(`c${i + 1}`)]));
export const RELEASE_VARIANTS: Record<string, Variant> = {
  v1: { tag: 'rel-base' },
  r1: { tag: 'rel-r1', migrations: expand(1) },
  r2: { tag: 'rel-r2', migrations: expand(2) },
  r3: { tag: 'rel-r3', migrations: expand(3) },
  r4: { tag: 'rel-r4', migrations: expand(4) },
  r5: { tag: 'rel-r5', migrations: expand(5) },
  r6: { tag: 'rel-r6', migrations: { ...expand(5), '106_drop_c1': dropColumn('c1') } },
  r1revert: { tag: 'rel-r1-revert', migrations: expand(1) },
};

/** The release-history suite's images (its own operator tag: suites building from other trees do not replace it). */
export const buildReleaseImages = () => buildAppImages({ repo: RELEASES_REPO, operatorImage: 'localhost/fastapiapp-operator:releases', variants: RELEASE_VARIANTS });

/** Shared libraries a dynamically linked binary loads (ldd), each with its path: what a scratch image must hold. */
function sharedLibraries(binary: string): string[] {
  let out: string;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    // A static binary: ldd says "not a dynamic executable" and exits 1.
    if (/not a dynamic executable/.test(String((err as { stderr?: string }).stderr ?? ''))) return [];
    throw err;
  }
  return [...out.matchAll(/(\/\S+\.so[.\d]*)\s+\(0x/g)].map((m) => m[1]!).sort();
}

/**
 * A FROM scratch image holding one binary at /bin/<name> (its entrypoint) and, when it is
 * dynamically linked, the libraries it loads at their own paths. Runs as `user`.
 */
export async function buildScratchImage(ref: string, binary: string, { name = path.basename(binary), user = '65534:65534' } = {}): Promise<string> {
  const ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'fastapiapp-scratch-'));
  try {
    const lines = ['FROM scratch'];
    fs.copyFileSync(binary, path.join(ctx, name));
    fs.chmodSync(path.join(ctx, name), 0o755);
    lines.push(`COPY ${name} /bin/${name}`);
    for (const [i, lib] of sharedLibraries(binary).entries()) {
      fs.copyFileSync(fs.realpathSync(lib), path.join(ctx, `lib${i}`));
      lines.push(`COPY lib${i} ${lib}`);
    }
    lines.push(`USER ${user}`, `ENTRYPOINT ["/bin/${name}"]`);
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), `${lines.join('\n')}\n`);
    await buildah(['bud', '--isolation', 'chroot', '--pull=never', '--layers', '--format', 'docker', '-f', path.join(ctx, 'Dockerfile'), '-t', ref, ctx], { timeoutMs: 300_000 });
    return ref;
  } finally {
    fs.rmSync(ctx, { recursive: true, force: true });
  }
}
