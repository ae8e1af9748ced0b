// Debian's aws CLI 2.9 (/usr/bin/aws; not the `aws` on PATH, which may be another version or a wrapper),
// run against a test server with fixed credentials and none of the caller's AWS settings.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { REGION } from './account.js';

export const AWS_CLI = '/usr/bin/aws';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI's environment without the caller's AWS settings: fixed credentials and region, no config files. */
export function awsCliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_')) env[key] = value;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'AKIDCLITEST',
    AWS_SECRET_ACCESS_KEY: 'cli-secret',
    AWS_DEFAULT_REGION: REGION,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** `aws <args>` against the endpoint, JSON output. */
export function runAwsCli(endpoint: string, args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(AWS_CLI, ['--endpoint-url', endpoint, '--region', REGION, '--output', 'json', ...args], {
      env: awsCliEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the CLI, expects success, and parses its JSON output (`{}` when it printed nothing). */
export async function awsCliJson(endpoint: string, args: readonly string[]): Promise<Record<string, unknown>> {
  const r = await runAwsCli(endpoint, args);
  assert.equal(r.code, 0, `aws ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim() === '' ? {} : (JSON.parse(r.stdout) as Record<string, unknown>);
}
