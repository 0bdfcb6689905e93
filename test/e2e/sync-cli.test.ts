// `audience-pipeline sync` spawned as a user would run it: two demo syncs show a real delta; failures and bad usage.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../helpers/spawn-cli.ts';

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'sync-e2e-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

const NO_STACK = /\n\s+at .+:\d+:\d+/;

describe('audience-pipeline sync --demo', () => {
  it('uploads the whole segment first, then only what changed; stdout is exactly the report', async () => {
    const first = await runCli(['sync', '--demo', '--json'], { cwd: workDir, timeoutMs: 180_000 });
    expect(first.stderr).toMatch(/read 60,000 rows \(\d[\d,]* valid, 0 invalid, [\d,]+ empty\)/);
    expect(first.stderr).toMatch(/uploading APPEND file 1 \([\d,]+ ids/);
    expect(first.stderr).toMatch(/processing poll \d+: APPEND SUCCESS/);
    expect(first.code).toBe(0);
    const one = JSON.parse(first.stdout);
    expect(one).toMatchObject({ rows: 60_000, removed: 0, unchanged: 0, snapshot: { committed: true } });
    expect(one.added).toBeGreaterThan(0);
    expect(one.files.map((f: { operationType: string }) => f.operationType)).toEqual(['APPEND']);

    const second = await runCli(['sync', '--demo', '--json'], { cwd: workDir, timeoutMs: 180_000 });
    expect(second.code).toBe(0);
    const two = JSON.parse(second.stdout);
    expect(two.syncId).toBe(one.syncId);
    expect(two.added).toBeGreaterThan(0);
    expect(two.removed).toBeGreaterThan(0);
    expect(two.unchanged).toBeGreaterThan(0);
    expect(two.unchanged + two.removed).toBe(one.snapshot.ids);
    expect(two.snapshot.ids).toBe(one.snapshot.ids + two.added - two.removed);
    expect(two.files.map((f: { operationType: string }) => f.operationType).sort()).toEqual(['APPEND', 'REDUCE']);

    // The removal guard: the next demo delta removes far more than 1 % of the snapshot.
    const guarded = await runCli(['sync', '--demo', '--max-remove-percent', '1'], { cwd: workDir, timeoutMs: 180_000 });
    expect(guarded.code).toBe(1);
    expect(guarded.stdout).toBe('');
    expect(guarded.stderr).toMatch(
      /FAILED: SyncRemovalRefused in Build Audience Files: The delta would remove \d+ of the \d+ ids of the last snapshot \(\d+\.\d%\), more than maxRemovePercent 1\./,
    );
    expect(second.stderr).toMatch(/uploading REDUCE file 1/);
  });

  it('fails with exit 1 and one line naming the run, the step and why', async () => {
    const env = cleanEnv({ POLL_MAX_ATTEMPTS: '1' });
    const { code, stdout, stderr } = await runCli(['sync', '--demo'], { cwd: workDir, env, timeoutMs: 120_000 });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/sync run \S+ FAILED: ExportTimedOut in Run Export: export \S+ FAILED: GrowingIO job/);
    expect(stderr).not.toMatch(NO_STACK);
  });

  it('answers bad usage and a bad request with exit 2 and the field', async () => {
    const missing = await runCli(['sync', '--project-uid', 'p'], { cwd: workDir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/sync needs --segmentation-id, --account-id, --user-id-type, --id-column/);
    const args = [
      'sync',
      '--project-uid',
      'p',
      '--segmentation-id',
      's',
      '--account-id',
      '10001',
      '--id-column',
      'phone',
    ];
    const bad = await runCli([...args, '--user-id-type', 'PHONE'], { cwd: workDir, timeoutMs: 60_000 });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Invalid sync request: tencent\.userIdType must be one of/);
    expect(bad.stderr).not.toMatch(NO_STACK);
    const word = await runCli([...args, '--user-id-type', 'HASH_IMEI', '--max-remove-percent', 'half'], {
      cwd: workDir,
    });
    expect(word.code).toBe(2);
    expect(word.stderr).toMatch(/--max-remove-percent must be a number from 0 to 100, got 'half'/);
    const above = await runCli([...args, '--user-id-type', 'HASH_IMEI', '--max-remove-percent', '150'], {
      cwd: workDir,
      timeoutMs: 60_000,
    });
    expect(above.code).toBe(2);
    expect(above.stderr).toMatch(/Invalid sync request: maxRemovePercent must be between 0 and 100/);
  });
});
