#!/usr/bin/env node
/**
 * The `foresight` command line: one binary, one subcommand per job. Each subcommand lives in
 * src/commands/ and is only wired here.
 */
import { Command, CommanderError } from 'commander';
import { ForesightError } from './errors.js';
import { commands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('foresight')
    .description(
      'Preemptive network security for Kubernetes: reads flow logs continuously, learns how each ' +
        'workload talks, forecasts traffic, scores threats and acts through ThreatPolicy resources.',
    )
    .option(
      '-c, --config <file>',
      'configuration file (YAML or JSON); FORESIGHT_* environment variables override it',
    )
    .option('--log-level <level>', 'error | warn | info | debug')
    .option('--log-format <format>', 'auto | json | pretty (auto: pretty on a terminal, JSON otherwise)')
    .showHelpAfterError()
    .exitOverride();
  for (const make of commands) program.addCommand(make());
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof ForesightError) {
      console.error(`foresight: ${err.message}`);
      return 2;
    }
    console.error(err);
    return 1;
  }
}

const isEntry = process.argv[1] !== undefined && /cli\.(ts|js)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
