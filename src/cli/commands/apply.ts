// `switchyard apply`: make a running server match a topology file (switchyard.yaml). Reads what the server has
// through its public APIs, prints the plan (create / update / delete, as `terraform plan` does) and makes it.
// The topology code (the YAML parser, the schema, the AWS SDK clients) is loaded when the command runs, so the
// other commands do not pay for it at start-up.
import type { Command, CommanderError } from 'commander';
import { addEndpointOption, awsClientConfig, CliError, resolveEndpoint, toCliError } from '../endpoint.js';
import { readTopologyFile } from '../topology-file.js';

interface ApplyOptions {
  file: string;
  dryRun?: boolean;
  json?: boolean;
  endpointUrl?: string;
}

const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

async function apply(opts: ApplyOptions): Promise<void> {
  let endpoint: string;
  try {
    endpoint = resolveEndpoint(opts.endpointUrl);
  } catch (error) {
    throw new CliError((error as Error).message, 2);
  }
  const { readCurrentState } = await import('../../topology/current.js');
  const { plan: makePlan, formatPlan, planToJson, summarize } = await import('../../topology/plan.js');
  const { ApplyError, applyPlan, topologyClients } = await import('../../topology/apply.js');

  const topology = await readTopologyFile(opts.file);
  if (!topology) return;

  const clients = topologyClients(awsClientConfig(endpoint));
  try {
    let plan: ReturnType<typeof makePlan>;
    try {
      plan = makePlan(topology, await readCurrentState(clients));
    } catch (error) {
      throw toCliError(error, endpoint);
    }
    const summary = summarize(plan);
    if (!opts.json) process.stdout.write(`${formatPlan(plan)}\n`);
    if (plan.errors.length > 0) {
      if (opts.json) printJson({ ...planToJson(plan), applied: false, done: 0 });
      throw new CliError(`the plan has ${plan.errors.length} error(s): nothing was applied`);
    }
    if (opts.dryRun || plan.changes.length === 0) {
      if (opts.json) printJson({ ...planToJson(plan), applied: false, done: 0 });
      else if (plan.changes.length > 0) process.stdout.write('\nDry run: nothing was applied.\n');
      return;
    }
    try {
      const done = await applyPlan(plan, clients);
      if (opts.json) printJson({ ...planToJson(plan), applied: true, done: done.length });
      else {
        process.stdout.write(
          `\nApply complete: ${summary.create} created, ${summary.update} updated, ${summary.delete} deleted.\n`,
        );
      }
    } catch (error) {
      if (!(error instanceof ApplyError)) throw toCliError(error, endpoint);
      if (opts.json) printJson({ ...planToJson(plan), applied: false, done: error.done.length, error: error.message });
      const made = `${error.done.length} of ${plan.changes.length} changes were made before it`;
      throw new CliError(`${error.message}\nswitchyard: ${made}; fix the cause and run apply again`);
    }
  } finally {
    clients.destroy();
  }
}

export function registerApplyCommand(program: Command): void {
  const command = program
    .command('apply')
    .description('make a running server match a topology file (switchyard.yaml): print the plan, then apply it')
    .option('-f, --file <path>', 'the topology file', 'switchyard.yaml')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--json', 'print the plan (and whether it was applied) as JSON instead of text');
  addEndpointOption(command)
    .addHelpText(
      'after',
      `
The plan lists each change as "+ queue orders" (create), "~ queue orders: visibilityTimeout 30 → 60" (update) or
"- rule old-rule" (delete), then "Plan: N to create, N to update, N to delete." ("No changes." when the server
already matches the file). Changes are made in a safe order: queues (dead-letter queues first), buses, rules,
targets, alarms; then deletes, dependents first.

Ownership: everything apply writes is tagged ${'`'}switchyard:managed-by=topology${'`'}. A queue, bus, rule or alarm that is
not in the file is deleted only if it carries that tag; anything else is left alone and listed as not managed. The
default bus is never created or deleted.

Exit status: 0 when the server matches the file (or with --dry-run, when the plan was printed); 1 when the server
refuses a change (the change and the AWS error are printed; the changes before it stay made), the plan cannot be
applied, or the server cannot be reached; 2 when the topology file is missing or not valid (one line per problem,
file:line:column: field: message) or a flag is wrong.`,
    )
    .action((opts: ApplyOptions) => apply(opts));
  // A wrong flag is a usage error like a bad file: exit status 2 (commander has printed the message).
  command.exitOverride((error: CommanderError) => {
    process.exit(error.exitCode === 0 ? 0 : 2);
  });
}
