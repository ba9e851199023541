import pino, { type Logger } from 'pino';
import { LogFile } from './log-file.js';

/**
 * Paths pino blanks out, compiled once. Tokens, secrets, codes and Authorization headers never
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

export function createLogger(options: { destination: pino.DestinationStream; level?: LogLevel }): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
      // Fastify's request serializer keeps method and url only; query strings carry no secrets.
      serializers: {
        req: (req: { method?: string; url?: string }) => ({ method: req.method, url: req.url }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    options.destination,
  );
}

/**
 * The log file as a destination that never blocks or throws into the serving path: a line that
 * cannot be written is dropped and counted (see log-file.ts).
 */
export function fileDestination(file: string): LogFile {
  return new LogFile(file);
}
