// `npm run schema`: writes schema/switchyard.schema.json, the JSON Schema of switchyard.yaml, from the zod schemas of
// src/topology/schema.ts, formatted as the repository's formatter (Biome) wants it. test/topology/json-schema.test.ts
// fails when the committed file differs from what this generates.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { topologyJsonSchema } from '../src/topology/schema.js';

const SCHEMA_FILE = fileURLToPath(new URL('../schema/switchyard.schema.json', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const json = `${JSON.stringify(topologyJsonSchema(), null, 2)}\n`;
const biome = spawnSync('npx', ['biome', 'format', `--stdin-file-path=${SCHEMA_FILE}`], {
  cwd: ROOT,
  input: json,
  encoding: 'utf8',
});
if (biome.status !== 0) {
  process.stderr.write(biome.stderr);
  process.exit(1);
}
writeFileSync(SCHEMA_FILE, biome.stdout);
process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
