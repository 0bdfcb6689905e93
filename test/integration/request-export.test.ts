// requestExport on its own: the GrowingIO token from an SSM SecureString (decrypted, cached), or a clear config error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestExport } from '../../functions/handlers/request-export.ts';
import { parseConfig } from '../../lib/config.ts';
import { createLogger } from '../../lib/log.ts';
import { localContext } from '../../local/aws/state-machine.ts';
import { type GrowingIoEmulator, startGrowingIoEmulator } from '../../local/emulators/growingio.ts';
import { startFakeSsm } from '../helpers/fake-ssm.ts';

const PARAMETER = '/audience-pipeline/test/growingio-token';
let emulator: GrowingIoEmulator;
let ssm: Awaited<ReturnType<typeof startFakeSsm>>;

beforeAll(async () => {
  emulator = await startGrowingIoEmulator({ token: 'gio-token-from-ssm-123456', pollsUntilDone: 1 });
  ssm = await startFakeSsm({ [PARAMETER]: emulator.token });
});
afterAll(async () => {
  await emulator.close();
  await ssm.close();
});

const event = (pollCount: number) => ({
  request: {
    projectUid: 'p1',
    segmentationId: 's1',
    expireMinutes: 60,
    parameters: [],
    exportId: 'e1',
    requestedAt: '2026-11-25T00:00:00.000Z',
  },
  poll: { pollCount, linkRefreshesLeft: 3 },
});

describe('requestExport', () => {
  it('polls GrowingIO with a token read once from SSM and never logs it', async () => {
    const lines: string[] = [];
    const handler = createRequestExport({
      config: parseConfig({ GROWINGIO_BASE_URL: emulator.url, GROWINGIO_TOKEN_PARAMETER: PARAMETER }),
      logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
      ssmClientOptions: {
        endpoint: ssm.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      },
    });
    const first = await handler(event(0), localContext('requestExport'));
    const second = await handler(event(first.pollCount), localContext('requestExport'));
    expect(first).toMatchObject({ status: 'doing', pollCount: 1, nextPollSeconds: 5 });
    expect(second).toMatchObject({ status: 'done', pollCount: 2, jobId: first.jobId });
    expect(second.downloadLinks.length).toBeGreaterThan(0);
    expect(ssm.calls).toEqual([{ target: 'AmazonSSM.GetParameters', names: [PARAMETER], decrypt: true }]);
  });

  it('redacts the SSM token and signed links an upstream error message carries, in the answer and the logs', async () => {
    const sign = 'S3CR3T-sign-value-987';
    const token = 'gio-token-echoed-by-upstream-42';
    const leaky = await startGrowingIoEmulator({
      token,
      pollsUntilDone: 1,
      faults: {
        failJob: `copy of https://gta.growingio.com/a.csv?sign=${sign}&expires=1 failed (${token})`,
      },
    });
    const leakySsm = await startFakeSsm({ '/leaky/token': leaky.token });
    try {
      const lines: string[] = [];
      const handler = createRequestExport({
        config: parseConfig({ GROWINGIO_BASE_URL: leaky.url, GROWINGIO_TOKEN_PARAMETER: '/leaky/token' }),
        logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }),
        ssmClientOptions: {
          endpoint: leakySsm.url,
          region: 'us-east-1',
          credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        },
      });
      let state = await handler(event(0), localContext('requestExport'));
      for (let n = 0; n < 3 && state.status === 'doing'; n++) {
        state = await handler({ ...event(0), poll: state }, localContext('requestExport'));
      }
      expect(state.status).toBe('failed');
      const everything = [state.errorMsg, ...lines].join('\n');
      expect(state.errorMsg).toContain('sign=[REDACTED]');
      expect(state.errorMsg).toContain('([REDACTED])');
      expect(lines.join('\n')).toContain('sign=[REDACTED]');
      expect(everything).not.toContain(sign);
      expect(everything).not.toContain(leaky.token);
    } finally {
      await leaky.close();
      await leakySsm.close();
    }
  });

  it('fails with a ConfigError naming both settings when no token is configured', async () => {
    const handler = createRequestExport({ config: parseConfig({ GROWINGIO_BASE_URL: emulator.url }) });
    await expect(handler(event(0), localContext('requestExport'))).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('GROWINGIO_TOKEN or GROWINGIO_TOKEN_PARAMETER'),
    });
  });

  it('rejects a malformed state payload by field', async () => {
    const handler = createRequestExport({
      config: parseConfig({ GROWINGIO_BASE_URL: emulator.url, GROWINGIO_TOKEN: emulator.token }),
    });
    await expect(
      handler({ request: { projectUid: 'p' }, poll: {} }, localContext('requestExport')),
    ).rejects.toMatchObject({
      name: 'BadRequest',
      message: expect.stringMatching(/request\.segmentationId.*poll\.pollCount|poll\.pollCount/),
    });
  });
});
