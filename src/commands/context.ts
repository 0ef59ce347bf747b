/**
 * What every subcommand starts from: the validated config, a logger and the metrics registry,
 * built once from the global flags. Commands receive this; they do not read process.env.
 */
import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { loadConfig } from '../config/load.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createRegistry, type Registry } from '../observability/metrics.js';

export interface CommandContext {
  config: Config;
  logger: Logger;
  registry: Registry;
}

export interface GlobalOptions {
  config?: string;
  logLevel?: string;
  logFormat?: string;
}

/** Builds the context from the root program's options plus per-command config overrides. */
export function commandContext(cmd: Command, overrides: Record<string, unknown> = {}): CommandContext {
  const globals = cmd.optsWithGlobals<GlobalOptions>();
  const log: Record<string, unknown> = {};
  if (globals.logLevel) log.level = globals.logLevel;
  if (globals.logFormat) log.format = globals.logFormat;
  const config = loadConfig({
    file: globals.config,
    env: process.env,
    overrides: { ...overrides, ...(Object.keys(log).length > 0 ? { log } : {}) },
  });
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  return { config, logger, registry: createRegistry() };
}

/** Parses `--speed`-style numbers with a clear error. */
export function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${value}"`);
    return n;
  };
}
