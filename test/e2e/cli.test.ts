// The CLI spawned as a user would run it: npm start, serve, failures and bad usage.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalS3 } from '../../local/aws/s3.ts';
import { startGrowingIoEmulator } from '../../local/emulators/growingio.ts';
import { LOCAL_BUCKET } from '../../local/runtime.ts';
import { cleanEnv, ROOT, run, runCli, waitForStderr } from '../helpers/spawn-cli.ts';

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'cli-e2e-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const NO_STACK = /\n\s+at .+:\d+:\d+/;

describe('npm start', () => {
  it('exports the demo segment and prints exactly one manifest whose objects are in the embedded S3', async () => {
    const { code, stdout, stderr } = await run('npm', ['--silent', 'start', '--', '--json'], { timeoutMs: 180_000 })
      .done;
    expect(stderr).toMatch(/poll 1: GrowingIO job .* is doing/);
    expect(stderr).toMatch(/file 3\/3 part-00003\.csv/);
    expect(code).toBe(0);
    const manifest = JSON.parse(stdout);
    expect(manifest.files).toHaveLength(3);
    expect(manifest.totalRows).toBe(200_000);
    const s3 = await startLocalS3({ directory: join(ROOT, '.local/s3') });
    try {
      for (const file of manifest.files) {
        const out = await s3.client.send(new GetObjectCommand({ Bucket: LOCAL_BUCKET, Key: file.key }));
        const bytes = Buffer.from(await out.Body!.transformToByteArray());
        expect(bytes.length).toBe(file.bytes);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
      }
    } finally {
      await s3.close();
    }
  });
});

describe('audience-pipeline serve', () => {
  it('accepts POST /exports, reports SUCCEEDED on GET /exports/{id}, lists audience files, stops on Ctrl-C', async () => {
    const server = run(process.execPath, [join(ROOT, 'local/cli/main.ts'), 'serve', '--port', '0'], {
      cwd: workDir,
      env: cleanEnv({ POLL_INITIAL_SECONDS: '1', POLL_MAX_SECONDS: '1' }),
    });
    try {
      const [, url] = await waitForStderr(server.child, server.output, /API on (http:\/\/127\.0\.0\.1:\d+)/);
      const posted = await fetch(`${url}/exports`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'e2e-1' },
        body: JSON.stringify({ projectUid: 'p1', segmentationId: 's1', parameters: ['open_id'] }),
      });
      expect(posted.status).toBe(202);
      const started = (await posted.json()) as { exportId: string; statusUrl: string };
      expect(started.statusUrl).toBe(`${url}/exports/${started.exportId}`);
      let status: { status: string; manifest?: { files: unknown[] } } = { status: 'RUNNING' };
      for (let i = 0; i < 100 && status.status === 'RUNNING'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        status = (await (await fetch(started.statusUrl)).json()) as typeof status;
      }
      expect(status.status).toBe('SUCCEEDED');
      expect(status.manifest?.files.length).toBeGreaterThan(0);

      const bad = await fetch(`${url}/exports`, { method: 'POST', body: '{not json' });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { errors: Array<{ field: string }> }).errors[0]!.field).toBe('body');
      const listing = await fetch(`${url}/audience-files?account_id=10001&page_size=5`);
      expect(listing.status).toBe(200);
      expect(((await listing.json()) as { page_info: { page_size: number } }).page_info.page_size).toBe(5);
      expect((await fetch(`${url}/nope`)).status).toBe(404);
    } finally {
      server.child.kill('SIGINT');
    }
    const { code, stderr } = await server.done;
    expect(code).toBe(130);
    expect(stderr).toContain('shutting down (SIGINT)');
  });
});

describe('failures and usage', () => {
  it('exits 1 with one clear line when the export fails upstream', async () => {
    const result = await runCli(
      ['export', '--project-uid', 'p1', '--segmentation-id', 's1', '--parameters', 'no_such_variable'],
      { cwd: workDir, env: cleanEnv({ POLL_INITIAL_SECONDS: '1' }) },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/export \S+ FAILED: GrowingIoExportFailed: .*请求参数不合法.*no_such_variable/);
    expect(result.stderr).not.toMatch(NO_STACK);
    expect(result.stdout).toBe('');
  });

  it('exits 1 on a truncated download from a real-looking GrowingIO, without leaking the token or signatures', async () => {
    const emulator = await startGrowingIoEmulator({
      token: 'real-looking-token-0123456789',
      faults: { truncate: true },
    });
    try {
      const result = await runCli(['export', '--project-uid', 'p1', '--segmentation-id', 's1', '--json'], {
        cwd: workDir,
        env: cleanEnv({
          GROWINGIO_BASE_URL: emulator.url,
          GROWINGIO_TOKEN: emulator.token,
          GROWINGIO_DOWNLOAD_HOSTS: `http://${emulator.downloadHost}`,
          POLL_INITIAL_SECONDS: '1',
        }),
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/FAILED: DownloadFailed/);
      expect(result.stderr + result.stdout).not.toContain('real-looking-token-0123456789');
      expect(result.stderr).not.toMatch(/sign=(?!\[REDACTED\])/);
      expect(result.stdout).toBe('');
    } finally {
      await emulator.close();
    }
  });

  it('prints a failed job whose upstream message quotes the token and a signed link, both redacted', async () => {
    const token = 'real-looking-token-echoed-0123';
    const sign = 'S3CR3T-sign-for-the-cli';
    const emulator = await startGrowingIoEmulator({
      token,
      faults: { failJob: `cannot write https://gta.growingio.com/a.csv?sign=${sign} (${token})` },
    });
    try {
      const result = await runCli(['export', '--project-uid', 'p1', '--segmentation-id', 's1'], {
        cwd: workDir,
        env: cleanEnv({ GROWINGIO_BASE_URL: emulator.url, GROWINGIO_TOKEN: token, POLL_INITIAL_SECONDS: '1' }),
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/FAILED: GrowingIoExportFailed: .*sign=\[REDACTED\].*\(\[REDACTED\]\)/);
      expect(result.stderr + result.stdout).not.toContain(token);
      expect(result.stderr).not.toContain(sign);
    } finally {
      await emulator.close();
    }
  });

  it('exits 2 with usage for bad flags, commands and arguments', async () => {
    for (const args of [
      ['export', '--bogus'],
      ['export', '--project-uid', 'p'],
      ['frobnicate'],
      [],
      ['serve', '--port', 'eighty'],
      ['export', '--demo', '--expire-minutes', '99999'],
      ['audience-files', '--account-id', '10001', '--page-size', '101'],
    ]) {
      const result = await runCli(args, { cwd: workDir });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).not.toMatch(NO_STACK);
    }
    const usage = await runCli(['export', '--bogus'], { cwd: workDir });
    expect(usage.stderr).toContain("Unknown option '--bogus'");
    expect(usage.stderr).toContain('Usage:');
    const pageSize = await runCli(['audience-files', '--account-id', '10001', '--page-size', '101'], { cwd: workDir });
    expect(pageSize.stderr).toContain('page_size');
  });

  it.each([
    ['LOG_LEVEL', 'loud'],
    ['STATE_MACHINE_ARN', 'bogus'],
  ])('exits 2 with one stderr line naming a bad %s, before starting anything', async (name, value) => {
    const result = await runCli(['export', '--demo'], { cwd: workDir, env: cleanEnv({ [name]: value }) });
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`^audience-pipeline: ConfigError: .*${name}`));
    expect(result.stderr).not.toContain(value);
    expect(result.stdout).toBe('');
  });

  it('prints usage for --help whatever the environment', async () => {
    const result = await runCli(['--help'], { cwd: workDir, env: cleanEnv({ LOG_LEVEL: 'loud' }) });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage:');
    expect(result.stderr).toBe('');
  });

  it('prints exactly one JSON listing for audience-files --json', async () => {
    const result = await runCli(
      [
        'audience-files',
        '--account-id',
        '10002',
        '--page-size',
        '3',
        '--filtering',
        '[{"field":"user_count","operator":"GREATER","values":["100"]}]',
        '--json',
      ],
      { cwd: workDir },
    );
    expect(result.code).toBe(0);
    const listing = JSON.parse(result.stdout);
    expect(listing.list.length).toBeGreaterThan(0);
    expect(listing.list.length).toBeLessThanOrEqual(3);
    for (const item of listing.list) expect(Number(item.user_count)).toBeGreaterThan(100);
  });

  it('audience-files --fields (list or JSON array) and --snapshot-id across two processes', async () => {
    const filtering = '[{"field":"process_status","operator":"EQUALS","values":[9]}]'; // a numeric account
    const base = ['audience-files', '--account-id', '10002', '--page-size', '4', '--filtering', filtering];
    const first = await runCli([...base, '--fields', 'custom_audience_file_id,salt_id', '--json'], { cwd: workDir });
    expect(first.code, first.stderr).toBe(0);
    const page1 = JSON.parse(first.stdout);
    for (const item of page1.list) expect(Object.keys(item)).toEqual(['custom_audience_file_id', 'salt_id']);
    const snapshotId = page1.page_info.snapshot_id;
    expect(snapshotId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // A second process (its own emulator) pages on from the snapshot kept in the embedded S3 under .local/s3.
    const next = ['audience-files', '--account-id', '10002', '--page-size', '4', '--page', '2'];
    const second = await runCli([...next, '--snapshot-id', snapshotId, '--fields', '["name"]', '--json'], {
      cwd: workDir,
    });
    expect(second.code, second.stderr).toBe(0);
    const page2 = JSON.parse(second.stdout);
    expect(page2.page_info).toMatchObject({
      page: 2,
      total_number: page1.page_info.total_number,
      snapshot_id: snapshotId,
    });
    for (const item of page2.list) expect(Object.keys(item)).toEqual(['name']);
    const table = await runCli([...next, '--snapshot-id', snapshotId, '--fields', 'name,salt_id'], { cwd: workDir });
    expect(table.stdout.split('\n')[0]).toMatch(/^name\s+salt_id$/);
    expect(table.stdout).toContain(`--snapshot-id ${snapshotId}`);
    const gone = await runCli([...next, '--snapshot-id', 'A'.repeat(22)], { cwd: workDir });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/HTTP 410 snapshot_id A{22} is unknown/);
  });
});
