// Reading the topology file a command was given (`-f switchyard.yaml`), with the CLI's answers to a bad one: its
// problems on stderr, one `file:line:column: field: message` per line, and exit status 2; a missing file or a
// directory is a usage error (2) too. The loader (YAML parser, schema) is imported only when a command needs it.
import type { Topology } from '../topology/model.js';
import { CliError } from './endpoint.js';

/** The file's topology, or undefined once its problems are printed and the exit status set to 2. */
export async function readTopologyFile(file: string): Promise<Topology | undefined> {
  const { loadTopology } = await import('../topology/load.js');
  const { TopologyError } = await import('../topology/errors.js');
  try {
    return await loadTopology(file);
  } catch (error) {
    if (error instanceof TopologyError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
      return undefined;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`${file}: no such file (give the topology with -f <path>)`, 2);
    if (code === 'EISDIR') throw new CliError(`${file}: is a directory`, 2);
    throw error;
  }
}
