// `switchyard export cloudformation`: a topology file (switchyard.yaml) as an AWS CloudFormation template. Works
// offline: it reads the file and writes the template; no server is involved.
import { writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { CliError } from '../endpoint.js';
import { readTopologyFile } from '../topology-file.js';

export type TemplateFormat = 'json' | 'yaml';

/** `--format` if given, else what the output file's extension says, else JSON. */
export function templateFormat(explicit: TemplateFormat | undefined, output: string | undefined): TemplateFormat {
  if (explicit) return explicit;
  return output !== undefined && /\.ya?ml$/i.test(output) ? 'yaml' : 'json';
}

interface ExportOptions {
  file: string;
  output?: string;
  format?: TemplateFormat;
}

async function exportCloudFormation(opts: ExportOptions): Promise<void> {
  // Loaded here so that the other commands do not pay for the YAML parser and the schema at start-up.
  const { toCloudFormation, cloudFormationNotes } = await import('../../topology/cloudformation.js');
  const { stringify } = await import('yaml');
  const topology = await readTopologyFile(opts.file);
  if (!topology) return;
  const template = toCloudFormation(topology, { description: `Switchyard topology from ${opts.file}` });
  const format = templateFormat(opts.format, opts.output);
  const text =
    format === 'json'
      ? `${JSON.stringify(template, null, 2)}\n`
      : // YAML 1.1 quoting: CloudFormation reads YAML 1.1, where 2010-09-09 is a date and `on` a boolean.
        stringify(template, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
  for (const note of cloudFormationNotes(topology)) process.stderr.write(`switchyard: note: ${note}\n`);
  if (opts.output === undefined || opts.output === '-') {
    process.stdout.write(text);
    return;
  }
  try {
    await writeFile(opts.output, text);
  } catch (error) {
    throw new CliError(`${opts.output}: ${(error as Error).message}`);
  }
  const resources = Object.keys(template.Resources).length;
  process.stderr.write(`switchyard: wrote ${opts.output} (${resources} resources)\n`);
}

export function registerExportCommand(program: Command): void {
  const exporter = program
    .command('export')
    .description('turn a topology file (switchyard.yaml) into deployment templates for AWS')
    .addHelpText('after', "\nRun 'switchyard export <command> --help' for a command's flags.");

  exporter
    .command('cloudformation')
    .description('write the AWS CloudFormation template that deploys the topology on AWS')
    .option('-f, --file <path>', 'the topology file', 'switchyard.yaml')
    .option('-o, --output <path>', 'write the template to this file instead of standard output')
    .addOption(
      new Option(
        '--format <format>',
        'template format (default: yaml for a .yaml/.yml output file, else json)',
      ).choices(['json', 'yaml']),
    )
    .addHelpText(
      'after',
      `
The template has the queues (AWS::SQS::Queue, with their RedrivePolicy), buses (AWS::Events::EventBus), rules and
targets (AWS::Events::Rule), a queue policy for each queue that rules or alarms send to (AWS::SQS::QueuePolicy) and
the alarms (AWS::CloudWatch::Alarm). What AWS needs besides: an SNS topic and subscription per queue or URL used as
an alarm action (alarms notify through SNS on AWS), and for HTTP targets an API destination, a connection whose API
key is a template parameter to set when deploying, and a role for EventBridge. Notes about what will need attention
on AWS are printed to stderr.

Example:
  switchyard export cloudformation -f examples/ecommerce/switchyard.yaml -o template.yaml
  aws cloudformation deploy --template-file template.yaml --stack-name shop --capabilities CAPABILITY_IAM \\
    --parameter-overrides Connection…ApiKeyValue=…

Exit status: 0 when the template is written; 2 when the topology file is missing or not valid (stderr: one line
per problem, file:line:column: field: message); 1 for other failures.`,
    )
    .action((opts: ExportOptions) => exportCloudFormation(opts));
}
