// The packaged template with every optional stage param switched on: JWT, KMS, CORS, expiry, versioning, alarm topic.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  deployedView,
  evaluateConditions,
  packageTemplate,
  privileges,
  resourcesOfType,
  type Template,
} from '../helpers/template.ts';
import { ALL_RULES } from '../helpers/template-rules.ts';
import { loadSpec, type Spec, specErrors } from '../helpers/template-spec.ts';

const KMS_KEY = 'arn:aws:kms:us-east-1:111122223333:key/abc';
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:audience-pipeline-alerts';
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
  scheduleEnabled: 'true',
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
    expect(routes).toHaveLength(4);
    for (const [, route] of routes) {
      expect(route.Properties).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: id } });
    }
  });

  it('encrypts with the KMS key, and only copyExport may use that key', () => {
    const encryption = deployed.Resources.ExportBucket!.Properties!.BucketEncryption;
    expect(encryption).toEqual({
      ServerSideEncryptionConfiguration: [
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KMS_KEY }, BucketKeyEnabled: true },
      ],
    });
    const kmsHolders = resourcesOfType(deployed, 'AWS::IAM::Role')
      .map(([role]) => [role, privileges(deployed, role).filter((p) => p.startsWith('kms:'))] as const)
      .filter(([, held]) => held.length > 0);
    expect(kmsHolders).toEqual([
      ['CopyExportIamRoleLambdaExecution', [`kms:Decrypt @ ${KMS_KEY}`, `kms:GenerateDataKey @ ${KMS_KEY}`]],
    ]);
  });

  it('writes and expires exports under the configured prefix only', () => {
    expect(privileges(deployed, 'CopyExportIamRoleLambdaExecution').filter((p) => p.startsWith('s3:'))).toEqual([
      's3:AbortMultipartUpload @ {ExportBucket.Arn}/segments/*',
      's3:DeleteObject @ {ExportBucket.Arn}/segments/*',
      's3:PutObject @ {ExportBucket.Arn}/segments/*',
    ]);
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
    const alarm = deployed.Resources.SegmentExportFailureAlarm!.Properties!;
    expect(alarm.AlarmActions).toEqual([TOPIC]);
    expect(alarm.OKActions).toEqual([TOPIC]);
  });
});
