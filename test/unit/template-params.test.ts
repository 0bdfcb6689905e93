// The packaged template with every optional stage param switched on: JWT, KMS, CORS, expiry, versioning, alarm topic.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSyncRequest } from '../../lib/sync/request.ts';
import {
  deployedView,
  evaluateConditions,
  grants,
  packageTemplate,
  privileges,
  resourcesOfType,
  type Template,
} from '../helpers/template.ts';
import { ALL_RULES } from '../helpers/template-rules.ts';
import { loadSpec, type Spec, specErrors } from '../helpers/template-spec.ts';

const KMS_KEY = 'arn:aws:kms:us-east-1:111122223333:key/abc';
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:audience-pipeline-alerts';
const SYNC_REQUEST = {
  projectUid: 'P1',
  segmentationId: 'S1',
  tencent: { accountId: 10001, userIdType: 'HASH_MOBILE_PHONE', idColumn: 'phone' },
};
const PARAMS = {
  apiAuth: 'jwt',
  jwtIssuerUrl: 'https://login.example.com/',
  jwtAudience: 'audience-api',
  kmsKeyArn: KMS_KEY,
  exportExpirationDays: '30',
  exportPrefix: 'segments',
  bucketVersioning: 'Enabled',
  corsAllowedOrigins: 'https://app.example.com,https://admin.example.com',
  apiThrottleBurst: '5',
  apiThrottleRate: '2',
  alarmTopicArn: TOPIC,
  growingioTokenParameter: '/custom/growingio',
  syncPrefix: 'audiences',
  scheduleEnabled: 'true',
  scheduleJobs: JSON.stringify([{ kind: 'sync', id: 'vip-sync', request: SYNC_REQUEST }]),
};

let raw: Template;
let deployed: Template;
let spec: Spec;

beforeAll(async () => {
  [raw, spec] = await Promise.all([packageTemplate('params', PARAMS), loadSpec()]);
  deployed = deployedView(raw);
});

describe('template with every option on', () => {
  it('turns every optional feature on through its condition', () => {
    expect(evaluateConditions(raw)).toEqual({
      UseKms: true,
      ExpireExports: true,
      ConfigureVersioning: true,
      EnableCors: true,
      NotifyAlarmTopic: true,
      ScheduleOn: true,
      Never: false,
    });
  });

  it('is still valid against the CloudFormation resource specification', () => {
    expect(specErrors(spec, deployed)).toEqual([]);
  });

  it.each(Object.entries(ALL_RULES))('still satisfies %s', (_name, rule) => {
    expect(rule(deployed)).toEqual([]);
  });

  it('uses the JWT authorizer on every route', () => {
    const authorizers = resourcesOfType(deployed, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(1);
    const [id, authorizer] = authorizers[0]!;
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: 'https://login.example.com/', Audience: ['audience-api'] },
    });
    const routes = resourcesOfType(deployed, 'AWS::ApiGatewayV2::Route');
    expect(routes).toHaveLength(7);
    for (const [, route] of routes) {
      expect(route.Properties).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: id } });
    }
  });

  it('encrypts with the KMS key, and only the writers (copyExport, publishExport), listAudienceFiles (snapshots) and the sync roles touching objects may use that key', () => {
    const encryption = deployed.Resources.ExportBucket!.Properties!.BucketEncryption;
    expect(encryption).toEqual({
      ServerSideEncryptionConfiguration: [
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KMS_KEY }, BucketKeyEnabled: true },
      ],
    });
    const kmsHolders = resourcesOfType(deployed, 'AWS::IAM::Role')
      .map(([role]) => [role, privileges(deployed, role).filter((p) => p.startsWith('kms:'))] as const)
      .filter(([, held]) => held.length > 0);
    const key = [`kms:Decrypt @ ${KMS_KEY}`, `kms:GenerateDataKey @ ${KMS_KEY}`];
    expect(kmsHolders.sort()).toEqual(
      [
        ['BuildAudienceFilesIamRoleLambdaExecution', key],
        ['CopyExportIamRoleLambdaExecution', key],
        ['ListAudienceFilesIamRoleLambdaExecution', key],
        ['PublishExportIamRoleLambdaExecution', key],
        ['FinishSyncIamRoleLambdaExecution', key],
        ['UploadAudienceFileIamRoleLambdaExecution', key],
      ].sort(),
    );
  });

  it('lets the sync read the configured export prefix and write only under the configured sync prefix', () => {
    expect(privileges(deployed, 'BuildAudienceFilesIamRoleLambdaExecution').filter((p) => p.startsWith('s3:'))).toEqual(
      [
        's3:GetObject @ {ExportBucket.Arn}/audiences/*',
        's3:GetObject @ {ExportBucket.Arn}/segments/*',
        's3:PutObject @ {ExportBucket.Arn}/audiences/*',
      ],
    );
    const env = deployed.Resources.FinishSyncLambdaFunction!.Properties!.Environment as { Variables: object };
    expect(env.Variables).toMatchObject({ SYNC_PREFIX: 'audiences' });
  });

  it('schedules a sync through the jobs list only (no legacy rule), with a request the sync schema accepts', () => {
    const rules = resourcesOfType(deployed, 'AWS::Events::Rule').filter(
      ([, rule]) => rule.Properties?.ScheduleExpression,
    );
    expect(rules).toEqual([]);
    const schedule = deployed.Resources.JobsSchedule!.Properties as { State: string; Target: { Input: string } };
    expect(schedule.State).toBe('ENABLED');
    const input = JSON.parse(schedule.Target.Input) as { jobs: Array<{ kind: string; request: unknown }> };
    expect(input.jobs.map((job) => job.kind)).toEqual(['sync']);
    expect(parseSyncRequest(input.jobs[0]!.request)).toMatchObject(SYNC_REQUEST);
  });

  it('writes and expires exports under the configured prefix only', () => {
    expect(privileges(deployed, 'CopyExportIamRoleLambdaExecution').filter((p) => p.startsWith('s3:'))).toEqual([
      's3:AbortMultipartUpload @ {ExportBucket.Arn}/segments/*',
      's3:DeleteObject @ {ExportBucket.Arn}/segments/*',
      's3:ListMultipartUploadParts @ {ExportBucket.Arn}/segments/*',
      's3:PutObject @ {ExportBucket.Arn}/segments/*',
    ]);
    // The cleanup lists only under the prefix (s3:prefix condition on ListBucket).
    const listing = grants(deployed).find(
      (grant) =>
        grant.role === 'CleanUpExportIamRoleLambdaExecution' &&
        [grant.statement.Action].flat().includes('s3:ListBucket'),
    );
    expect(listing?.statement.Condition).toEqual({ StringLike: { 's3:prefix': ['segments/*'] } });
    const props = deployed.Resources.ExportBucket!.Properties!;
    expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect((props.LifecycleConfiguration as { Rules: unknown[] }).Rules).toContainEqual({
      Id: 'expire-exports',
      Status: 'Enabled',
      Prefix: 'segments/',
      ExpirationInDays: '30',
      NoncurrentVersionExpiration: { NoncurrentDays: '30' },
    });
  });

  it('reads the GrowingIO token from the configured SSM parameter', () => {
    const fn = deployed.Resources.RequestExportLambdaFunction!.Properties!;
    expect(fn.Environment).toMatchObject({ Variables: { GROWINGIO_TOKEN_PARAMETER: '/custom/growingio' } });
    expect(privileges(deployed, 'RequestExportIamRoleLambdaExecution')).toContain(
      'ssm:GetParameters @ arn:{AWS::Partition}:ssm:{AWS::Region}:{AWS::AccountId}:parameter/custom/growingio',
    );
  });

  it('allows CORS for the configured origins only, and throttles as configured', () => {
    expect(deployed.Resources.HttpApi!.Properties!.CorsConfiguration).toMatchObject({
      AllowOrigins: { 'Fn::Split': [',', 'https://app.example.com,https://admin.example.com'] },
      AllowMethods: ['GET', 'POST'],
    });
    expect(deployed.Resources.HttpApiStage!.Properties!.DefaultRouteSettings).toMatchObject({
      ThrottlingBurstLimit: '5',
      ThrottlingRateLimit: '2',
    });
  });

  it('notifies the alarm topic on alarm and on recovery', () => {
    for (const id of ['SegmentExportFailureAlarm', 'AudienceSyncFailureAlarm']) {
      const alarm = deployed.Resources[id]!.Properties!;
      expect(alarm.AlarmActions).toEqual([TOPIC]);
      expect(alarm.OKActions).toEqual([TOPIC]);
    }
  });
});
