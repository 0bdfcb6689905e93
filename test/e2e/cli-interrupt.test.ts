// `export` stopped by SIGINT/SIGTERM mid-copy leaves nothing in the embedded S3; after a SIGKILL the next run
// removes what the dead one left.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalS3 } from '../../local/aws/s3.ts';
import { type GrowingIoEmulator, startGrowingIoEmulator } from '../../local/emulators/growingio.ts';
import { LOCAL_BUCKET } from '../../local/runtime.ts';
import { CLI, cleanEnv, run, waitForStderr } from '../helpers/spawn-cli.ts';

let workDir: string;
let emulator: GrowingIoEmulator | undefined;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'cli-interrupt-'));
});
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** A GrowingIO whose two files take several seconds to download: long enough to interrupt the copy. */
async function slowGrowingIo() {
  emulator = await startGrowingIoEmulator({
    files: [
      { rows: 150_000, seed: 1 },
      { rows: 150_000, seed: 2 },
    ],
    faults: { slowBodyBytesPerSecond: 3 * 1024 * 1024 },
  });
  return cleanEnv({
    GROWINGIO_BASE_URL: emulator.url,
    GROWINGIO_TOKEN: emulator.token,
    GROWINGIO_DOWNLOAD_HOSTS: `http://${emulator.downloadHost}`,
    POLL_INITIAL_SECONDS: '1',
  });
}

function startCliExport(env: NodeJS.ProcessEnv, dir = workDir) {
  return run(process.execPath, [CLI, 'export', '--project-uid', 'p1', '--segmentation-id', 's1'], { cwd: dir, env });
}

/** Objects and open uploads in the local bucket of `dir` (.local/s3). */
async function storedIn(dir: string) {
  const s3 = await startLocalS3({ directory: join(dir, '.local/s3'), buckets: [LOCAL_BUCKET] });
  try {
    const objects = await s3.client.send(new ListObjectsV2Command({ Bucket: LOCAL_BUCKET }));
    const uploads = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: LOCAL_BUCKET }));
    return {
      keys: (objects.Contents ?? []).map((object) => object.Key!),
      uploads: (uploads.Uploads ?? []).map((upload) => upload.Key!),
    };
  } finally {
    await s3.close();
  }
}

describe('export interrupted mid-copy', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s stops the export, removes what it wrote and exits %i with one line',
    async (signal, exitCode) => {
      const dir = await mkdtemp(join(workDir, `${signal}-`));
      const cli = startCliExport(await slowGrowingIo(), dir);
      await waitForStderr(cli.child, cli.output, /part-00001\.csv/, 60_000);
      cli.child.kill(signal);
      // A second signal during the cleanup is absorbed, not Node's default exit.
      setTimeout(() => cli.child.kill(signal), 100);
      const result = await cli.done;
      expect(result.code, result.stderr).toBe(exitCode);
      const lines = result.stderr.split('\n').filter((line) => line.includes('interrupted'));
      expect(lines).toEqual([expect.stringMatching(new RegExp(`^export \\S+ interrupted by ${signal}: stopped`))]);
      expect(await storedIn(dir)).toEqual({ keys: [], uploads: [] });
    },
    120_000,
  );

  it('serve: SIGTERM mid-copy stops the running export, cleans up, then closes, exit 143', async () => {
    const dir = await mkdtemp(join(workDir, 'serve-'));
    const env = await slowGrowingIo();
    const server = run(process.execPath, [CLI, 'serve', '--port', '0'], { cwd: dir, env });
    const [, url] = await waitForStderr(server.child, server.output, /API on (http:\/\/127\.0\.0\.1:\d+)/);
    const posted = await fetch(`${url}/exports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ projectUid: 'p1', segmentationId: 's1' }),
    });
    expect(posted.status).toBe(202);
    while (emulator!.stats().downloads === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    server.child.kill('SIGTERM');
    const result = await server.done;
    expect(result.code, result.stderr).toBe(143);
    expect(result.stderr).toContain('shutting down (SIGTERM): 1 running export(s) stopped and cleaned up');
    expect(await storedIn(dir)).toEqual({ keys: [], uploads: [] });
  }, 120_000);

  it("run-jobs: SIGINT mid-copy stops the fan-out's exports, removes what they wrote, exit 130", async () => {
    const dir = await mkdtemp(join(workDir, 'jobs-'));
    const jobsFile = join(dir, 'jobs.json');
    const jobs = ['s1', 's2'].map((segmentationId) => ({
      kind: 'export',
      id: segmentationId,
      request: { projectUid: 'p1', segmentationId },
    }));
    await writeFile(jobsFile, JSON.stringify(jobs));
    const cli = run(process.execPath, [CLI, 'run-jobs', '--jobs', jobsFile], { cwd: dir, env: await slowGrowingIo() });
    while (emulator!.stats().downloads === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    cli.child.kill('SIGINT');
    const result = await cli.done;
    expect(result.code, result.stderr).toBe(130);
    const lines = result.stderr.split('\n').filter((line) => line.includes('interrupted'));
    expect(lines).toEqual([
      expect.stringMatching(
        /^fan-out local-\S+ interrupted by SIGINT: [12] exports? stopped; what they wrote was removed$/,
      ),
    ]);
    expect(await storedIn(dir)).toEqual({ keys: [], uploads: [] });
  }, 120_000);

  it('after a SIGKILL, the next run removes the dead run’s parts and open uploads', async () => {
    const dir = await mkdtemp(join(workDir, 'kill-'));
    const env = await slowGrowingIo();
    const killed = startCliExport(env, dir);
    await waitForStderr(killed.child, killed.output, /part-00001\.csv/, 60_000);
    killed.child.kill('SIGKILL');
    await killed.done;
    const left = await storedIn(dir);
    expect(left.uploads.length + left.keys.length).toBeGreaterThan(0);
    emulator!.setFaults({});
    const next = await startCliExport(env, dir).done;
    expect(next.code, next.stderr).toBe(0);
    const after = await storedIn(dir);
    expect(after.uploads).toEqual([]);
    const exports = new Set(after.keys.map((key) => key.slice(0, key.lastIndexOf('/'))));
    expect(exports.size).toBe(1);
    expect(after.keys.some((key) => key.endsWith('/manifest.json'))).toBe(true);
  }, 180_000);
});
