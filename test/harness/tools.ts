// Suites run real Debian tools; a missing one fails loudly with the fix instead of skipping.
import fs from 'node:fs';
import path from 'node:path';

export class MissingToolError extends Error {
  constructor(tool: string, pkg = tool) {
    super(`${tool} is not installed: run test/pretest.sh (as root) or apt-get install ${pkg}`);
    this.name = 'MissingToolError';
  }
}

/** The tool's path on PATH; throws MissingToolError naming the Debian package otherwise. */
export function requireTool(tool: string, pkg = tool): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const file = path.join(dir, tool);
    if (dir && fs.existsSync(file)) return file;
  }
  throw new MissingToolError(tool, pkg);
}
