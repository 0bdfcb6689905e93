// The local runtime as a user meets it: serve restarts keep exports, busy ports and bad paths answer one clear
// line, the printed endpoints work with the AWS SDK, and Ctrl-C during an export prints one clean line.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../helpers/raw-request.ts';
import { CLI, cleanEnv, run, runCli, waitForStderr } from '../helpers/spawn-cli.ts';

const NO_STACK = /\n\s+at .+:\d+:\d+/;
let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'local-runtime-e2e-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** A serve process in workDir whose exports stay RUNNING (the first poll waits 60 s). */
async function serve() {
  const server = run(process.execPath, [CLI, 'serve', '--port', '0'], {
    cwd: workDir,
    env: cleanEnv({ POLL_INITIAL_SECONDS: '60', POLL_MAX_SECONDS: '60' }),
  });
  const [, url] = await waitForStderr(server.child, server.output, /API on (http:\/\/127\.0\.0\.1:\d+)/);
  const [, sfnEndpoint, stateMachineArn] = await waitForStderr(
    server.child,
    server.output,
    /export SFN_ENDPOINT=(\S+) STATE_MACHINE_ARN=(\S+)/,
  );
  return { server, url: url!, sfnEndpoint: sfnEndpoint!, stateMachineArn: stateMachineArn! };
}

const postExport = (url: string, body: object) =>
  fetch(`${url}/exports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'restart-1' },
    body: JSON.stringify(body),
  });

describe('serve across a restart', () => {
  it('keeps idempotency and status after being killed, and builds URLs from its own address only', async () => {
    const first = await serve();
    let exportId: string;
    try {
      // A client claiming another host and scheme: the answer still names this server.
      const posted = await rawRequest(`${first.url}/exports`, {
        method: 'POST',
        headers: {
          host: 'evil.example',
          'x-forwarded-proto': 'javascript',
          'content-type': 'application/json',
          'idempotency-key': 'restart-1',
        },
        body: JSON.stringify({ projectUid: 'p1', segmentationId: 's1' }),
      });
      expect(posted.status).toBe(202);
      const started = JSON.parse(posted.body) as { exportId: string; statusUrl: string };
      exportId = started.exportId;
      expect(started.statusUrl).toBe(`${first.url}/exports/${exportId}`);
      expect(posted.headers.location).toBe(`${first.url}/exports/${exportId}`);
      for (const path of ['/exports/%E0%A4%A', '/exports/%ZZ', '/exports/%']) {
        const bad = await fetch(`${first.url}${path}`);
        expect(bad.status, path).toBe(400);
        expect(((await bad.json()) as { errors: Array<{ field: string }> }).errors[0]!.field).toBe('exportId');
      }
      // The printed Step Functions endpoint answers the SDK, as the AWS CLI would use it.
      const sdk = new SFNClient({
        endpoint: first.sfnEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const listed = await sdk.send(new ListExecutionsCommand({ stateMachineArn: first.stateMachineArn }));
      expect(listed.executions?.find((execution) => execution.name === exportId)?.status).toBe('RUNNING');
      sdk.destroy();
    } finally {
      first.server.child.kill('SIGKILL');
    }
    await first.server.done;

    const second = await serve();
    try {
      const status = await fetch(`${second.url}/exports/${exportId}`);
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({ status: 'FAILED', error: { name: 'LocalRuntimeInterrupted' } });
      const conflict = await postExport(second.url, { projectUid: 'p2', segmentationId: 's1' });
      expect(conflict.status).toBe(409);
      const replay = await postExport(second.url, { projectUid: 'p1', segmentationId: 's1' });
      expect(replay.status).toBe(202);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    } finally {
      second.server.child.kill('SIGINT');
    }
    expect((await second.server.done).code).toBe(130);
  });
});

describe('busy ports', () => {
  it('serve and emulate refuse a busy port with one line naming it and exit 2', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = String((blocker.address() as { port: number }).port);
    try {
      for (const args of [
        ['serve', '--port', port],
        ['emulate', '--growingio-port', port],
        ['emulate', '--tencent-port', port],
      ]) {
        const result = await runCli(args, { cwd: workDir });
        expect(result.code, args.join(' ')).toBe(2);
        expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
        expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
        expect(result.stderr).not.toMatch(NO_STACK);
      }
    } finally {
      blocker.close();
    }
  });
});

describe('Ctrl-C during export', () => {
  it('prints one clean line and exits 130', async () => {
    const exporting = run(process.execPath, [CLI, 'export', '--project-uid', 'p1', '--segmentation-id', 's1'], {
      cwd: workDir,
      env: cleanEnv({ POLL_INITIAL_SECONDS: '60', POLL_MAX_SECONDS: '60' }),
    });
    const [, exportId] = await waitForStderr(exporting.child, exporting.output, /export (\S+) started/);
    await waitForStderr(exporting.child, exporting.output, /poll 1/);
    exporting.child.kill('SIGINT');
    const { code, stderr, stdout } = await exporting.done;
    expect(code).toBe(130);
    expect(stderr).toContain(`export ${exportId} interrupted by SIGINT`);
    expect(stderr).not.toMatch(/ECONNREFUSED|Error:/);
    expect(stderr).not.toMatch(NO_STACK);
    expect(stdout).toBe('');
  });
});
