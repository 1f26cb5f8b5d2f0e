import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      // Never log secrets or full addresses; callers log maskEmail(...) instead.
      redact: { paths: ['email', '*.email', 'password', '*.password', 'token', '*.token', 'headers.authorization'], censor: '[redacted]' },
    },
    destination,
  );
}

/** "jane.doe@example.org" -> "j***@example.org": enough to debug, not to identify. */
export function maskEmail(email: string | null | undefined): string {
  if (!email) return '(none)';
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}
