/** `foresight keygen`: writes a new anonymization key (hex) for a file or a Kubernetes Secret. */
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { generateKey } from '../flows/anonymizer-key.js';

export function keygenCommand(): Command {
  return new Command('keygen')
    .summary('Create a random anonymization key')
    .description(
      'Create a random 32-byte anonymization key (64 hex characters). Keep it secret: whoever holds it can ' +
        'map tokens back to addresses. Example: foresight keygen --out key && kubectl create secret generic ' +
        'foresight-anonymization --from-file=key',
    )
    .option('-o, --out <file>', 'write the key to this file (mode 0600) instead of stdout')
    .action((opts: { out?: string }) => {
      const key = generateKey().toString('hex');
      if (opts.out) {
        writeFileSync(opts.out, key + '\n', { mode: 0o600, flag: 'wx' });
        console.error(`wrote anonymization key to ${opts.out}`);
      } else process.stdout.write(key + '\n');
    });
}
