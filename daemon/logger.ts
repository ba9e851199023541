import { LogFile } from './log-file.js';

/**
 * The fields blanked out of every line. Tokens, secrets, codes and Authorization headers never
 * reach the log, at any level; a token is named by its fingerprint instead. An authorization
 * code goes by `authorizationCode` (or `query.code` in a callback): a bare `code` is left alone,
 * since error codes (`error=invalid_scope`, `code=invalid_client`) are what a log is read for.
 */
export const REDACT_PATHS = [
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'id_token',
  'clientSecret',
  'client_secret',
  'privateKey',
  'authorizationCode',
  'query.code',
  'callback.code',
  'code_verifier',
  'codeVerifier',
  'device_code',
  'deviceCode',
  'token',
  'authorization',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.clientSecret',
  '*.client_secret',
  '*.privateKey',
  '*.authorizationCode',
  '*.code_verifier',
  '*.codeVerifier',
  '*.device_code',
  '*.deviceCode',
  '*.token',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'clientCredentials.clientSecret',
  'clientCredentials.privateKey',
  'body.clientCredentials.clientSecret',
  'body.clientCredentials.privateKey',
];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** One log method: fields (or a message alone), then the message. */
export type LogFn = (fieldsOrMessage: unknown, msg?: string) => void;

/** The daemon's logger: pino's call shape (`logger.info({ fields }, 'message')`). */
export interface Logger {
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
  /** Calls back once what was logged is written (or dropped). */
  flush?(cb?: (err?: Error) => void): void;
}

/** Where lines go: a LogFile, or any writable stream (tests). */
export interface LogDestination {
  write(line: string): unknown;
  flush?(cb?: (err?: Error) => void): void;
}

/** pino's level numbers, which the log file and `mcptest daemon logs` use. */
const LEVELS: Record<Exclude<LogLevel, 'silent'>, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

const CENSOR = '[Redacted]';

/** The keys blanked wherever they appear (REDACT_PATHS names them at one or two levels). */
const SECRET_KEYS = new Set(
  REDACT_PATHS.map((p) => /([A-Za-z_-]+)"?\]?$/.exec(p)?.[1] ?? p).filter((k) => k !== 'code'),
);
/** `code` is blanked only where it is an authorization code: under `query` and `callback`. */
const CODE_PARENTS = new Set(['query', 'callback']);

/** An Error as a log field: its type, message, stack and own fields (a `code`, say). */
function errorFields(err: Error): Record<string, unknown> {
  return { ...err, type: err.name, message: err.message, stack: err.stack };
}

/**
 * The JSON of one line's fields with every secret blanked, at any depth: a value under a
 * SECRET_KEYS key, and `code` under `query` or `callback`. The caller's object is not changed.
 */
function serialize(fields: Record<string, unknown>): string {
  const parents = new WeakMap<object, string>();
  const seen = new WeakSet<object>();
  return JSON.stringify(fields, function (this: object, key: string, value: unknown) {
    if (key !== '' && SECRET_KEYS.has(key)) return CENSOR;
    if (key === 'code' && CODE_PARENTS.has(parents.get(this) ?? '')) return CENSOR;
    if (typeof value === 'bigint') return value.toString();
    if (typeof value !== 'object' || value === null) return value;
    if (seen.has(value)) return '[Circular]';
    seen.add(value);
    const out = value instanceof Error ? errorFields(value) : value;
    if (out !== value) seen.add(out);
    parents.set(out, key);
    return out;
  });
}

/**
 * A JSON-lines logger in pino's line format (`{"level":30,"time":…,"pid":…,…,"msg":"…"}`). Tokens,
 * secrets, codes and Authorization headers never reach the log, at any level or depth.
 */
export function createLogger(options: { destination?: LogDestination; level?: LogLevel }): Logger {
  const threshold = options.level === 'silent' ? Number.POSITIVE_INFINITY : LEVELS[options.level ?? 'info'];
  const destination = options.destination;
  const head = `,"pid":${process.pid}`;
  const method = (level: number): LogFn => {
    if (level < threshold || !destination) return () => {};
    return (fieldsOrMessage, msg) => {
      let fields: Record<string, unknown> | null = null;
      let message = msg;
      if (typeof fieldsOrMessage === 'string') message = fieldsOrMessage;
      else if (fieldsOrMessage instanceof Error) fields = { err: fieldsOrMessage };
      else if (typeof fieldsOrMessage === 'object' && fieldsOrMessage !== null) {
        fields = fieldsOrMessage as Record<string, unknown>;
      }
      let body = '';
      if (fields) {
        try {
          const json = serialize(fields);
          if (json.length > 2) body = `,${json.slice(1, -1)}`;
        } catch {
          body = ',"logError":"fields could not be serialized"';
        }
      }
      const tail = message === undefined ? '' : `,"msg":${JSON.stringify(message)}`;
      destination.write(`{"level":${level},"time":${Date.now()}${head}${body}${tail}}\n`);
    };
  };
  return {
    fatal: method(LEVELS.fatal),
    error: method(LEVELS.error),
    warn: method(LEVELS.warn),
    info: method(LEVELS.info),
    debug: method(LEVELS.debug),
    trace: method(LEVELS.trace),
    flush: (cb) => (destination?.flush ? destination.flush(cb) : cb?.()),
  };
}

/**
 * The log file as a destination that never blocks or throws into the serving path: a line that
 * cannot be written is dropped and counted (see log-file.ts).
 */
export function fileDestination(file: string): LogFile {
  return new LogFile(file);
}
