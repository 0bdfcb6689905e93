// The packaged CloudFormation template (default stage params): spec-valid, valid ASL, least privilege, secure defaults.
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ACCOUNT, loadDefinition, SYNC_ASL_PATH } from '../../local/aws/state-machine.ts';
import {
  deployedView,
  packagedDefinition,
  packageTemplate,
  privileges,
  resourcesOfType,
  type Template,
} from '../helpers/template.ts';
import { ALL_RULES, WILDCARD_RESOURCE_EXCEPTIONS } from '../helpers/template-rules.ts';
import { loadSpec, type Spec, specErrors } from '../helpers/template-spec.ts';

type AslValidator = (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
const validateAsl = createRequire(import.meta.url)('asl-validator') as AslValidator;

const STAGE = 'tmpl';
const PREFIX = `audience-pipeline-${STAGE}`;
const ACCOUNT = 'arn:{AWS::Partition}:%s:{AWS::Region}:{AWS::AccountId}';
const arn = (service: string, rest: string) => `${ACCOUNT.replace('%s', service)}:${rest}`;

/** What every function role holds besides its own work: its log group and X-Ray (documented '*' exception). */
function own(fn: string, ...work: string[]): string[] {
  const logGroup = arn('logs', `log-group:/aws/lambda/${PREFIX}-${fn}:*:*`);
  const logs = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'].map((a) => `${a} @ ${logGroup}`);
  return [...logs, 'xray:PutTelemetryRecords @ *', 'xray:PutTraceSegments @ *', ...work].sort();
}

const EXECUTIONS = arn('states', `execution:${PREFIX}-segment-export:*`);
const SYNC_EXECUTIONS = arn('states', `execution:${PREFIX}-audience-sync:*`);
const TENCENT_TOKEN = `ssm:GetParameters @ ${arn('ssm', `parameter/audience-pipeline/${STAGE}/tencent-access-token`)}`;
const SYNC_OBJECTS = '{ExportBucket.Arn}/syncs/*';
/** The sync roles read the export prefix and write only under the sync prefix. */
const SYNC_PRIVILEGES: Record<string, string[]> = {
  StartSyncIamRoleLambdaExecution: own(
    'startSync',
    'states:StartExecution @ {AudienceSyncStateMachine}',
    `states:DescribeExecution @ ${SYNC_EXECUTIONS}`,
  ),
  GetSyncIamRoleLambdaExecution: own('getSync', `states:DescribeExecution @ ${SYNC_EXECUTIONS}`),
  ListSyncsIamRoleLambdaExecution: own(
    'listSyncs',
    'states:ListExecutions @ {AudienceSyncStateMachine}',
    `states:DescribeExecution @ ${SYNC_EXECUTIONS}`,
  ),
  BuildAudienceFilesIamRoleLambdaExecution: own(
    'buildAudienceFiles',
    's3:GetObject @ {ExportBucket.Arn}/exports/*',
    `s3:GetObject @ ${SYNC_OBJECTS}`,
    `s3:PutObject @ ${SYNC_OBJECTS}`,
    `states:DescribeExecution @ ${SYNC_EXECUTIONS}`, // the run holding the sync's lock
  ),
  EnsureAudienceIamRoleLambdaExecution: own('ensureAudience', TENCENT_TOKEN),
  UploadAudienceFileIamRoleLambdaExecution: own('uploadAudienceFile', TENCENT_TOKEN, `s3:GetObject @ ${SYNC_OBJECTS}`),
  CheckAudienceFilesIamRoleLambdaExecution: own('checkAudienceFiles', TENCENT_TOKEN),
  FinishSyncIamRoleLambdaExecution: own(
    'finishSync',
    `s3:DeleteObject @ ${SYNC_OBJECTS}`,
    `s3:GetObject @ ${SYNC_OBJECTS}`,
    `s3:PutObject @ ${SYNC_OBJECTS}`,
  ),
  CleanUpSyncIamRoleLambdaExecution: own(
    'cleanUpSync',
    `s3:DeleteObject @ ${SYNC_OBJECTS}`,
    `s3:GetObject @ ${SYNC_OBJECTS}`, // the sync's lock, given back when this run holds it
    's3:ListBucket @ {ExportBucket.Arn}',
  ),
};
const EXPECTED_PRIVILEGES: Record<string, string[]> = {
  StartExportIamRoleLambdaExecution: own(
    'startExport',
    'states:StartExecution @ {SegmentExportStateMachine}',
    `states:DescribeExecution @ ${EXECUTIONS}`,
  ),
  GetExportIamRoleLambdaExecution: own('getExport', `states:DescribeExecution @ ${EXECUTIONS}`),
  RequestExportIamRoleLambdaExecution: own(
    'requestExport',
    `ssm:GetParameters @ ${arn('ssm', `parameter/audience-pipeline/${STAGE}/growingio-token`)}`,
    's3:PutObject @ {RateBudgetBucket.Arn}/growingio/*',
  ),
  ListExportsIamRoleLambdaExecution: own(
    'listExports',
    'states:ListExecutions @ {SegmentExportStateMachine}',
    `states:DescribeExecution @ ${EXECUTIONS}`,
  ),
  PlanFanOutIamRoleLambdaExecution: own('planFanOut'),
  SummarizeFanOutIamRoleLambdaExecution: own('summarizeFanOut'),
  CopyExportIamRoleLambdaExecution: own(
    'copyExport',
    's3:AbortMultipartUpload @ {ExportBucket.Arn}/exports/*',
    's3:DeleteObject @ {ExportBucket.Arn}/exports/*',
    's3:ListMultipartUploadParts @ {ExportBucket.Arn}/exports/*',
    's3:PutObject @ {ExportBucket.Arn}/exports/*',
    `states:DescribeExecution @ ${EXECUTIONS}`,
  ),
  PublishExportIamRoleLambdaExecution: own(
    'publishExport',
    's3:AbortMultipartUpload @ {ExportBucket.Arn}/exports/*',
    's3:DeleteObject @ {ExportBucket.Arn}/exports/*',
    's3:ListBucketMultipartUploads @ {ExportBucket.Arn}',
    's3:PutObject @ {ExportBucket.Arn}/exports/*',
    `states:DescribeExecution @ ${EXECUTIONS}`,
  ),
  CleanUpExportIamRoleLambdaExecution: own(
    'cleanUpExport',
    's3:AbortMultipartUpload @ {ExportBucket.Arn}/exports/*',
    's3:DeleteObject @ {ExportBucket.Arn}/exports/*',
    's3:ListBucket @ {ExportBucket.Arn}',
    's3:ListBucketMultipartUploads @ {ExportBucket.Arn}',
  ),
  ListAudienceFilesIamRoleLambdaExecution: own(
    'listAudienceFiles',
    ...['tencent-access-token', 'tencent-refresh-token', 'tencent-client-id', 'tencent-client-secret'].map(
      (name) => `ssm:GetParameters @ ${arn('ssm', `parameter/audience-pipeline/${STAGE}/${name}`)}`,
    ),
    // Refreshed tokens are written back to the two token parameters only, never the client id or secret.
    ...['tencent-access-token', 'tencent-refresh-token'].map(
      (name) => `ssm:PutParameter @ ${arn('ssm', `parameter/audience-pipeline/${STAGE}/${name}`)}`,
    ),
    's3:GetObject @ {ExportBucket.Arn}/audience-file-snapshots/*',
    's3:PutObject @ {ExportBucket.Arn}/audience-file-snapshots/*',
    's3:ListBucket @ {ExportBucket.Arn}',
  ),
  ...SYNC_PRIVILEGES,
};

let raw: Template;
let deployed: Template;
let spec: Spec;

beforeAll(async () => {
  [raw, spec] = await Promise.all([packageTemplate(STAGE), loadSpec()]);
  deployed = deployedView(raw);
});

describe('CloudFormation resource specification', () => {
  it('knows every resource type and property of the deployed template', () => {
    expect(specErrors(spec, deployed)).toEqual([]);
  });

  it('reports an unknown type, property, enum value or reference', () => {
    const broken = structuredClone(deployed);
    const bucket = broken.Resources.ExportBucket!;
    bucket.Properties!.Encryption = {};
    (bucket.Properties!.OwnershipControls as { Rules: Record<string, unknown>[] }).Rules[0]!.ObjectOwnership = 'Mine';
    broken.Resources.Extra = { Type: 'AWS::S3::Buckets' };
    broken.Resources.ExportBucketPolicy!.Properties!.Bucket = { Ref: 'NoSuchBucket' };
    expect(specErrors(spec, broken)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/ExportBucket\(AWS::S3::Bucket\)\.Encryption: no such property/),
        expect.stringMatching(/ObjectOwnership: "Mine" is not one of/),
        expect.stringMatching(/Extra: unknown resource type AWS::S3::Buckets/),
        expect.stringMatching(/Ref to unknown NoSuchBucket/),
      ]),
    );
  });
});

describe('state machine definition', () => {
  it('passes asl-validator as written and as packaged', () => {
    for (const definition of [loadDefinition(), packagedDefinition(deployed, 'SegmentExportStateMachine')]) {
      const result = validateAsl(definition);
      expect(result.errorsText(), 'asl-validator').toBe('');
      expect(result.isValid).toBe(true);
    }
  });

  it('is deployed exactly as the local runtime runs it', () => {
    const packaged = JSON.stringify(packagedDefinition(deployed, 'SegmentExportStateMachine'));
    const local = packaged.replaceAll(`123456789012:function:${PREFIX}-`, `${LOCAL_ACCOUNT}:function:`);
    expect(JSON.parse(local)).toEqual(loadDefinition());
  });

  it('sync: passes asl-validator, is deployed as the local runtime runs it, and holds only what it uses', () => {
    const exportArn = `arn:aws:states:us-east-1:${LOCAL_ACCOUNT}:stateMachine:segment-export`;
    const local = loadDefinition(SYNC_ASL_PATH, { SegmentExportStateMachine: exportArn });
    const packaged = packagedDefinition(deployed, 'AudienceSyncStateMachine');
    for (const definition of [local, packaged]) expect(validateAsl(definition).errorsText()).toBe('');
    const asLocal = JSON.stringify(packaged)
      .replaceAll(`123456789012:function:${PREFIX}-`, `${LOCAL_ACCOUNT}:function:`)
      .replace('{Ref:SegmentExportStateMachine}', exportArn);
    expect(JSON.parse(asLocal)).toEqual(local);
    const held = privileges(deployed, 'AudienceSyncStateMachineRole');
    const lambdas = ['BuildAudienceFiles', 'CheckAudienceFiles', 'CleanUpSync', 'EnsureAudience', 'FinishSync'];
    expect(held.filter((p) => !p.endsWith(' @ *'))).toEqual(
      [
        ...[...lambdas, 'UploadAudienceFile'].map((fn) => `lambda:InvokeFunction @ {${fn}LambdaFunction.Arn}`),
        'states:StartExecution @ {SegmentExportStateMachine}',
        `states:DescribeExecution @ ${EXECUTIONS}`,
        `states:StopExecution @ ${EXECUTIONS}`,
        ...['events:DescribeRule', 'events:PutRule', 'events:PutTargets'].map(
          (a) => `${a} @ ${arn('events', 'rule/StepFunctionsGetEventsForStepFunctionsExecutionRule')}`,
        ),
      ].sort(),
    );
    for (const p of held.filter((p) => p.endsWith(' @ *')))
      expect(WILDCARD_RESOURCE_EXCEPTIONS).toHaveProperty([p.split(' @ ')[0]!]);
  });

  it('may invoke only its four task Lambdas; everything else it holds is a documented exception', () => {
    const held = privileges(deployed, 'SegmentExportStateMachineRole');
    expect(held.filter((p) => !p.endsWith(' @ *'))).toEqual([
      'lambda:InvokeFunction @ {CleanUpExportLambdaFunction.Arn}',
      'lambda:InvokeFunction @ {CleanUpExportLambdaFunction.Arn}:*',
      'lambda:InvokeFunction @ {CopyExportLambdaFunction.Arn}',
      'lambda:InvokeFunction @ {CopyExportLambdaFunction.Arn}:*',
      'lambda:InvokeFunction @ {PublishExportLambdaFunction.Arn}',
      'lambda:InvokeFunction @ {PublishExportLambdaFunction.Arn}:*',
      'lambda:InvokeFunction @ {RequestExportLambdaFunction.Arn}',
      'lambda:InvokeFunction @ {RequestExportLambdaFunction.Arn}:*',
    ]);
    for (const p of held.filter((p) => p.endsWith(' @ *')))
      expect(WILDCARD_RESOURCE_EXCEPTIONS).toHaveProperty([p.split(' @ ')[0]!]);
  });
});

describe('security rules hold for the default stage', () => {
  it.each(Object.entries(ALL_RULES))('%s', (_name, rule) => {
    expect(rule(deployed)).toEqual([]);
  });

  it('gives each function exactly the privileges it uses, on exact ARNs', () => {
    const roles = resourcesOfType(deployed, 'AWS::IAM::Role').map(([id]) => id);
    // The fan-out's and the scheduler's roles are checked in template-schedule.test.ts.
    const others = [
      'SegmentExportStateMachineRole',
      'AudienceSyncStateMachineRole',
      'FanOutStateMachineRole',
      'SchedulerRole',
    ];
    expect(roles.sort()).toEqual([...Object.keys(EXPECTED_PRIVILEGES), ...others].sort());
    for (const [role, expected] of Object.entries(EXPECTED_PRIVILEGES)) {
      expect(privileges(deployed, role), role).toEqual(expected);
    }
  });

  it('lets the listing list the bucket only under the snapshot prefix, and configures its snapshots', () => {
    const role = deployed.Resources.ListAudienceFilesIamRoleLambdaExecution!.Properties!;
    const statements = (role.Policies as { PolicyDocument: { Statement: Record<string, unknown>[] } }[]).flatMap(
      (policy) => policy.PolicyDocument.Statement,
    );
    const listing = statements.filter((statement) => String(statement.Action).includes('s3:ListBucket'));
    expect(listing).toHaveLength(1);
    expect(listing[0]!.Condition).toEqual({ StringLike: { 's3:prefix': ['audience-file-snapshots/*'] } });
    const fn = deployed.Resources.ListAudienceFilesLambdaFunction!.Properties!;
    expect(fn.Environment).toMatchObject({
      Variables: {
        EXPORT_BUCKET: { Ref: 'ExportBucket' },
        TENCENT_SNAPSHOT_PREFIX: 'audience-file-snapshots',
        TENCENT_SNAPSHOT_SECONDS: '300',
        TENCENT_API_VERSION: 'v1.3',
        TENCENT_REFRESH_TOKEN_PARAMETER: `/audience-pipeline/${STAGE}/tencent-refresh-token`,
      },
    });
  });

  it('never deploys the framework-wide Lambda role', () => {
    expect(raw.Resources.IamRoleLambdaExecution?.Condition).toBe('Never');
    expect(deployed.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it('encrypts the export bucket with SSE-S3, keeps no versions and never expires exports', () => {
    const props = deployed.Resources.ExportBucket!.Properties!;
    expect(props.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(props.VersioningConfiguration).toBeUndefined();
    // Only the multipart clean-up and the paging snapshots (a day; they answer TENCENT_SNAPSHOT_SECONDS) expire.
    expect((props.LifecycleConfiguration as { Rules: unknown[] }).Rules).toEqual([
      expect.objectContaining({ Id: 'abort-incomplete-multipart-uploads' }),
      {
        Id: 'expire-audience-file-snapshots',
        Status: 'Enabled',
        Prefix: 'audience-file-snapshots/',
        ExpirationInDays: 1,
      },
    ]);
    expect(deployed.Resources.ExportBucket!.DeletionPolicy).toBe('Retain');
    expect(resourcesOfType(deployed, 'AWS::IAM::Policy')).toEqual([]);
  });

  it('protects every route with IAM auth, no CORS, stage throttling from the params', () => {
    const routes = resourcesOfType(deployed, 'AWS::ApiGatewayV2::Route');
    expect(routes.map(([, r]) => [r.Properties?.RouteKey, r.Properties?.AuthorizationType]).sort()).toEqual([
      ['GET /audience-files', 'AWS_IAM'],
      ['GET /exports', 'AWS_IAM'],
      ['GET /exports/{exportId}', 'AWS_IAM'],
      ['GET /syncs', 'AWS_IAM'],
      ['GET /syncs/{runId}', 'AWS_IAM'],
      ['POST /exports', 'AWS_IAM'],
      ['POST /syncs', 'AWS_IAM'],
    ]);
    expect(resourcesOfType(deployed, 'AWS::ApiGatewayV2::Authorizer')).toEqual([]);
    expect(deployed.Resources.HttpApi!.Properties!.CorsConfiguration).toBeUndefined();
    expect(deployed.Resources.HttpApiStage!.Properties!.DefaultRouteSettings).toMatchObject({
      ThrottlingBurstLimit: '20',
      ThrottlingRateLimit: '10',
    });
  });

  it('alarms on failed and timed-out executions of each state machine, with no topic by default', () => {
    // The fan-out's and the dead-letter queue's alarms are checked in template-schedule.test.ts.
    const scheduleAlarms = ['FanOutFailureAlarm', 'ScheduleDeadLetterAlarm'];
    const alarms = resourcesOfType(deployed, 'AWS::CloudWatch::Alarm').filter(([id]) => !scheduleAlarms.includes(id));
    expect(alarms.map(([id]) => id).sort()).toEqual(['AudienceSyncFailureAlarm', 'SegmentExportFailureAlarm']);
    for (const [id, alarm] of alarms) {
      const machine = id === 'SegmentExportFailureAlarm' ? 'SegmentExportStateMachine' : 'AudienceSyncStateMachine';
      const metrics = (alarm.Properties as { Metrics: { MetricStat?: { Metric: Record<string, unknown> } }[] }).Metrics;
      const watched = metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []));
      expect(watched.map((m) => m.MetricName).sort()).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
      for (const metric of watched) {
        expect(metric.Namespace).toBe('AWS/States');
        expect(metric.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: { Ref: machine } }]);
      }
      expect(alarm.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      expect(alarm.Properties).not.toHaveProperty('AlarmActions');
    }
  });

  it('keeps execution data out of the state machine logs', () => {
    const logging = deployed.Resources.SegmentExportStateMachine!.Properties!.LoggingConfiguration;
    expect(logging).toMatchObject({ Level: 'ERROR', IncludeExecutionData: false });
  });
});

describe('each rule catches its violation', () => {
  const statement = (Action: string, Resource: unknown) => ({ Effect: 'Allow', Action, Resource });
  const addStatement = (t: Template, s: unknown) => {
    const role = t.Resources.GetExportIamRoleLambdaExecution!.Properties!;
    (role.Policies as { PolicyDocument: { Statement: unknown[] } }[])[0]!.PolicyDocument.Statement.push(s);
  };
  const cases: [string, keyof typeof ALL_RULES, (t: Template) => void, RegExp][] = [
    ['Action *', 'iamWildcardFindings', (t) => addStatement(t, statement('*', 'arn:aws:s3:::x')), /wildcard action \*/],
    [
      'service:*',
      'iamWildcardFindings',
      (t) => addStatement(t, statement('s3:*', 'arn:aws:s3:::x')),
      /wildcard action s3:\*/,
    ],
    [
      'Resource *',
      'iamWildcardFindings',
      (t) => addStatement(t, statement('s3:GetObject', '*')),
      /Resource '\*' for s3:GetObject/,
    ],
    [
      'open route',
      'apiFindings',
      (t) => Object.assign(t.Resources.HttpApiRoutePostExports!.Properties!, { AuthorizationType: 'NONE' }),
      /AuthorizationType NONE/,
    ],
    [
      'no throttling',
      'apiFindings',
      (t) => delete t.Resources.HttpApiStage!.Properties!.DefaultRouteSettings,
      /ThrottlingRateLimit not set/,
    ],
    [
      'no encryption',
      'bucketFindings',
      (t) => delete t.Resources.ExportBucket!.Properties!.BucketEncryption,
      /ExportBucket: no default encryption/,
    ],
    [
      'public',
      'bucketFindings',
      (t) => delete t.Resources.ExportBucket!.Properties!.PublicAccessBlockConfiguration,
      /BlockPublicPolicy is not true/,
    ],
    [
      'plain HTTP',
      'bucketFindings',
      (t) => delete t.Resources.ExportBucketPolicy,
      /ExportBucket: no policy denying non-TLS/,
    ],
    [
      'no retention',
      'logFindings',
      (t) => delete t.Resources.CopyExportLogGroup!.Properties!.RetentionInDays,
      /CopyExportLogGroup: no RetentionInDays/,
    ],
    [
      'plain token',
      'secretFindings',
      (t) =>
        Object.assign(
          (t.Resources.RequestExportLambdaFunction!.Properties!.Environment as { Variables: object }).Variables,
          { GROWINGIO_TOKEN: 'abc' },
        ),
      /GROWINGIO_TOKEN holds a value/,
    ],
    [
      'shared role',
      'roleIsolationFindings',
      (t) =>
        Object.assign(t.Resources.GetExportLambdaFunction!.Properties!, {
          Role: { 'Fn::GetAtt': ['StartExportIamRoleLambdaExecution', 'Arn'] },
        }),
      /shares role/,
    ],
  ];
  it.each(cases)('%s', (_name, rule, mutate, finding) => {
    const broken = structuredClone(deployed);
    mutate(broken);
    expect(ALL_RULES[rule](broken)).toEqual(expect.arrayContaining([expect.stringMatching(finding)]));
  });
});
