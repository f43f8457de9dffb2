// Structured JSON logs (pino). Lines about a FastApiApp carry fastapiapp="namespace/name".
import pino, { type Logger, type DestinationStream } from 'pino';
import type { LogLevel } from './config';

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino({ level, base: { component: 'fastapiapp-operator' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
