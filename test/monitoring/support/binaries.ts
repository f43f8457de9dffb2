// The suites run Debian's real prometheus/promtool; a missing binary fails loudly with the fix.
import { execFileSync } from 'node:child_process';

export function requireBinary(name: 'prometheus' | 'promtool'): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${name} not found on PATH: install Debian's prometheus package (apt-get install prometheus; test/pretest.d/00-apt.sh does it)`);
  }
}
