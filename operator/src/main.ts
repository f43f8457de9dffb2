// The operator process: wiring only. Config is validated before anything else runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_HELP, ConfigError, loadConfig } from './config';
import { createLogger } from './log';
import { startOperator } from './operator';

function version(): string {
  for (const p of [join(__dirname, '../../../package.json'), join(__dirname, '../../package.json')]) {
    try {
      return (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version;
    } catch {
      // try the next layout (dist/operator/src or operator/src)
    }
  }
  return 'unknown';
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--version')) {
    process.stdout.write(`fastapiapp-operator ${version()}\n`);
    return;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`fastapiapp-operator ${version()}: reconciles FastApiApps (platform.fastapiapp.io/v1alpha1)\n\n${CONFIG_HELP}\n`);
    return;
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const operator = await startOperator({ config, logger: log });
  const onSignal = (signal: string): void => {
    log.info({ signal }, 'shutting down');
    void operator.stop();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  const result = await operator.done;
  process.exit(result === 'lost' ? 1 : 0);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`fastapiapp-operator failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
