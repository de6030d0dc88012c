import { AsyncLocalStorage } from 'node:async_hooks';
import type { LogLevel } from './config/config.js';

/** Per-request context carried through async calls, so every log line names its request. */
export const requestContext = new AsyncLocalStorage<{ requestId: string }>();

const FRAMEWORK_CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** Structured logs: one JSON object per line on stdout. */
export class JsonLogger {
  constructor(
    private readonly level: LogLevel = 'info',
    private readonly service = 'api',
  ) {}

  write(level: Exclude<LogLevel, 'silent'>, msg: string, fields: Record<string, unknown> = {}): void {
    if (RANK[level] < RANK[this.level]) return;
    const requestId = requestContext.getStore()?.requestId;
    const line = { time: new Date().toISOString(), level, service: this.service, msg, ...(requestId ? { requestId } : {}), ...fields };
    process.stdout.write(JSON.stringify(line) + '\n');
  }

  log(message: unknown, context?: string): void {
    // Nest's start-up chatter (module and route listings) is debug detail, not news.
    const level = context && FRAMEWORK_CHATTER.has(context) ? 'debug' : 'info';
    this.write(level, String(message), context ? { context } : {});
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.write('error', message instanceof Error ? message.message : String(message), { ...(trace ? { trace } : {}), ...(context ? { context } : {}) });
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', String(message), context ? { context } : {});
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', String(message), context ? { context } : {});
  }
  verbose(message: unknown, context?: string): void {
    this.write('debug', String(message), context ? { context } : {});
  }
}
