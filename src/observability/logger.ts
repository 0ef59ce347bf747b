/**
 * Logging: winston, JSON lines in production (one object per line, for log pipelines) and a
 * readable coloured form on a terminal. Modules receive a logger; none creates its own.
 */
import winston from 'winston';

export type Logger = winston.Logger;
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface LoggerOptions {
  level?: string;
  format?: LogFormat;
  /** Where `auto` looks to decide; defaults to stderr, where logs go. */
  isTTY?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const wantJson =
    options.format === 'json' || (options.format !== 'pretty' && !(options.isTTY ?? process.stderr.isTTY));
  const format = wantJson
    ? winston.format.combine(
        winston.format.timestamp(),
        winston.format.errors({ stack: true }),
        winston.format.json(),
      )
    : winston.format.combine(
        winston.format.colorize(),
        winston.format.timestamp({ format: 'HH:mm:ss' }),
        winston.format.errors({ stack: true }),
        winston.format.printf(({ level, message, timestamp, component, stack, ...rest }) => {
          const where = typeof component === 'string' ? ` [${component}]` : '';
          const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
          const trace = typeof stack === 'string' ? `\n${stack}` : '';
          return `${String(timestamp)} ${level}${where} ${String(message)}${extra}${trace}`;
        }),
      );
  return winston.createLogger({
    level: options.level ?? 'info',
    format,
    // stderr keeps stdout free for command output (summaries, YAML, JSON).
    transports: [new winston.transports.Console({ stderrLevels: Object.keys(winston.config.npm.levels) })],
  });
}

/** A logger that discards everything; for tests and library callers that pass none. */
export function silentLogger(): Logger {
  return winston.createLogger({
    silent: true,
    transports: [new winston.transports.Console({ silent: true })],
  });
}
