import type { Command } from 'commander';
import { McptestError } from '../../shared/errors.js';
import type { CliIo, CommandResult } from '../io.js';

/** `mcptest schema`: the JSON Schema of the suite format, for editors and CI linters. */
export function registerSchema(program: Command, io: CliIo, _result: CommandResult): void {
  program
    .command('schema')
    .description('print the JSON Schema (draft 2020-12) of the suite file format, for editor validation')
    .option('--output <file>', 'write the schema to FILE instead of stdout')
    .addHelpText(
      'after',
      `
Examples:
  mcptest schema --output suite.schema.json
  # then, first line of suite.yaml (VS Code YAML extension, JetBrains, yaml-language-server):
  # yaml-language-server: $schema=./suite.schema.json`,
    )
    .action(async (flags: { output?: string }) => {
      const { suiteJsonSchema } = await import('../runner/suite-schema.js');
      const text = `${JSON.stringify(suiteJsonSchema(), null, 2)}\n`;
      if (!flags.output) {
        io.stdout(text);
        return;
      }
      const fs = await import('node:fs');
      const path = await import('node:path');
      try {
        fs.writeFileSync(path.resolve(io.cwd, flags.output), text);
      } catch (err) {
        throw new McptestError(
          'invalid_request',
          `cannot write the schema to ${flags.output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          { hint: 'mcptest schema --output ./suite.schema.json' },
        );
      }
      io.stderr(`wrote the suite schema to ${flags.output}\n`);
    });
}
