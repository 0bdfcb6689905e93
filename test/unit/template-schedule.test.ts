// The packaged template's schedules, fan-out and run history: EventBridge Scheduler with time zone, retry policy and
// dead-letter queue; least privilege for the scheduler and the fan-out; the fan-out ASL valid and deployed as run.
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ACCOUNT, loadDefinition } from '../../local/aws/state-machine.ts';
import { FAN_OUT_ASL } from '../../local/fan-out.ts';
import {
  deployedView,
  packagedDefinition,
  packageTemplate,
  privileges,
  type Resource,
  resourcesOfType,
  type Template,
} from '../helpers/template.ts';
import { WILDCARD_RESOURCE_EXCEPTIONS } from '../helpers/template-rules.ts';

type AslValidator = (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
const validateAsl = createRequire(import.meta.url)('asl-validator') as AslValidator;

const STAGE = 'sched';
const PREFIX = `audience-pipeline-${STAGE}`;
const JOBS = [{ kind: 'export', id: 'vip', request: { projectUid: 'p1', segmentationId: 's1' } }];
let deployed: Template;
let enabled: Template;

beforeAll(async () => {
  const params = { scheduleEnabled: 'true', scheduleTimezone: 'Europe/Berlin', scheduleJobs: JSON.stringify(JOBS) };
  const [raw, rawEnabled] = await Promise.all([packageTemplate(STAGE), packageTemplate(`${STAGE}on`, params)]);
  deployed = deployedView(raw);
  enabled = deployedView(rawEnabled);
});

/** CloudFormation JSON, read by shape in assertions. */
// biome-ignore lint/suspicious/noExplicitAny: template properties are untyped JSON here
type Loose = any;
const props = (resource: Resource | undefined) => (resource?.Properties ?? {}) as Record<string, Loose>;

/** Problems of one schedule: every schedule has a time zone, a flexible window, a retry policy and a DLQ here. */
function scheduleFindings(template: Template): string[] {
  return resourcesOfType(template, 'AWS::Scheduler::Schedule').flatMap(([id, schedule]) => {
    const p = props(schedule);
    const target = p.Target ?? {};
    const dlq = target.DeadLetterConfig?.Arn?.['Fn::GetAtt']?.[0];
    return [
      !p.ScheduleExpressionTimezone && `${id}: no ScheduleExpressionTimezone`,
      p.FlexibleTimeWindow?.Mode !== 'FLEXIBLE' && `${id}: no flexible window`,
      !(Number(target.RetryPolicy?.MaximumRetryAttempts) >= 0 && target.RetryPolicy?.MaximumEventAgeInSeconds) &&
        `${id}: no retry policy`,
      template.Resources[dlq ?? '']?.Type !== 'AWS::SQS::Queue' && `${id}: no SQS dead-letter queue of this stack`,
    ].filter((finding): finding is string => typeof finding === 'string');
  });
}

describe('schedules', () => {
  it('are EventBridge Scheduler schedules with a time zone, flexible window, retry policy and DLQ', () => {
    expect(resourcesOfType(deployed, 'AWS::Scheduler::Schedule').map(([id]) => id)).toEqual(['JobsSchedule']);
    expect(scheduleFindings(deployed)).toEqual([]);
    expect(scheduleFindings(enabled)).toEqual([]);
    const schedule = props(deployed.Resources.JobsSchedule);
    expect(schedule).toMatchObject({
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      State: 'DISABLED',
      Target: { Arn: { Ref: 'FanOutStateMachine' }, RoleArn: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] } },
    });
  });

  it('the finding rule catches a schedule without time zone, retry policy or DLQ', () => {
    const broken = structuredClone(deployed);
    const schedule = props(broken.Resources.JobsSchedule);
    delete schedule.ScheduleExpressionTimezone;
    delete schedule.Target.RetryPolicy;
    delete schedule.Target.DeadLetterConfig;
    expect(scheduleFindings(broken)).toEqual([
      'JobsSchedule: no ScheduleExpressionTimezone',
      'JobsSchedule: no retry policy',
      'JobsSchedule: no SQS dead-letter queue of this stack',
    ]);
  });

  it('replace the legacy EventBridge rule: no rule schedules anything', () => {
    const rules = resourcesOfType(deployed, 'AWS::Events::Rule').filter(([, rule]) => props(rule).ScheduleExpression);
    expect(rules).toEqual([]);
  });

  it("start the fan-out with the stage's jobs and the scheduled time, enabled and zoned by the stage params", () => {
    const schedule = props(enabled.Resources.JobsSchedule);
    expect(schedule.State).toBe('ENABLED');
    expect(schedule.ScheduleExpressionTimezone).toBe('Europe/Berlin');
    expect(JSON.parse(schedule.Target.Input)).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>', jobs: JOBS });
  });

  it('give the scheduler role only StartExecution on the fan-out and SendMessage to its DLQ', () => {
    expect(privileges(deployed, 'SchedulerRole')).toEqual([
      'sqs:SendMessage @ {FanOutDeadLetterQueue.Arn}',
      'states:StartExecution @ {FanOutStateMachine}',
    ]);
    const trust = props(deployed.Resources.SchedulerRole).AssumeRolePolicyDocument.Statement;
    expect(trust).toEqual([expect.objectContaining({ Principal: { Service: 'scheduler.amazonaws.com' } })]);
  });
});

describe('fan-out state machine', () => {
  it('passes asl-validator as written and as packaged', () => {
    for (const definition of [loadDefinition(FAN_OUT_ASL), packagedDefinition(deployed, 'FanOutStateMachine')]) {
      const result = validateAsl(definition);
      expect(result.errorsText(), 'asl-validator').toBe('');
      expect(result.isValid).toBe(true);
    }
  });

  it('is deployed exactly as the local runtime runs it, with a bounded Map', () => {
    const packaged = JSON.stringify(packagedDefinition(deployed, 'FanOutStateMachine'));
    const local = JSON.parse(packaged.replaceAll(`123456789012:function:${PREFIX}-`, `${LOCAL_ACCOUNT}:function:`));
    expect(local).toEqual(loadDefinition(FAN_OUT_ASL));
    const map = local.States['Run Jobs'];
    expect(map.Type).toBe('Map');
    expect(map.MaxConcurrency).toBeGreaterThan(0);
    expect(map.MaxConcurrency).toBeLessThanOrEqual(10);
  });

  it('may invoke its two Lambdas and start and follow export and sync executions, nothing else', () => {
    const held = privileges(deployed, 'FanOutStateMachineRole');
    const executions = `arn:{AWS::Partition}:states:{AWS::Region}:{AWS::AccountId}:execution:${PREFIX}-segment-export:*`;
    const syncs = `arn:{AWS::Partition}:states:{AWS::Region}:{AWS::AccountId}:execution:${PREFIX}-audience-sync:*`;
    expect(held.filter((p) => !p.endsWith(' @ *'))).toEqual(
      [
        'events:DescribeRule @ arn:{AWS::Partition}:events:{AWS::Region}:{AWS::AccountId}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
        'events:PutRule @ arn:{AWS::Partition}:events:{AWS::Region}:{AWS::AccountId}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
        'events:PutTargets @ arn:{AWS::Partition}:events:{AWS::Region}:{AWS::AccountId}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
        'lambda:InvokeFunction @ {PlanFanOutLambdaFunction.Arn}',
        'lambda:InvokeFunction @ {PlanFanOutLambdaFunction.Arn}:*',
        'lambda:InvokeFunction @ {SummarizeFanOutLambdaFunction.Arn}',
        'lambda:InvokeFunction @ {SummarizeFanOutLambdaFunction.Arn}:*',
        `states:DescribeExecution @ ${executions}`,
        `states:DescribeExecution @ ${syncs}`,
        'states:StartExecution @ {AudienceSyncStateMachine}',
        'states:StartExecution @ {SegmentExportStateMachine}',
        `states:StopExecution @ ${executions}`,
        `states:StopExecution @ ${syncs}`,
      ].sort(),
    );
    for (const p of held.filter((p) => p.endsWith(' @ *')))
      expect(WILDCARD_RESOURCE_EXCEPTIONS).toHaveProperty([p.split(' @ ')[0]!]);
  });

  it('tells planFanOut the export and sync machines and where sync runs keep their state', () => {
    const variables = props(deployed.Resources.PlanFanOutLambdaFunction).Environment.Variables;
    expect(variables).toMatchObject({
      EXPORT_STATE_MACHINE_ARN: { Ref: 'SegmentExportStateMachine' },
      SYNC_STATE_MACHINE_ARN: { Ref: 'AudienceSyncStateMachine' },
      EXPORT_BUCKET: { Ref: 'ExportBucket' },
      SYNC_PREFIX: 'syncs',
    });
  });
});

describe('alarms, budget and metrics', () => {
  it('alarm on failed fan-out jobs (EMF metric) and failed fan-outs, and on schedule dead letters', () => {
    const failure = props(deployed.Resources.FanOutFailureAlarm);
    const watched = failure.Metrics.flatMap((m: Loose) => (m.MetricStat ? [m.MetricStat.Metric] : []));
    expect(watched).toEqual([
      {
        Namespace: 'AudiencePipeline',
        MetricName: 'FanOutJobsFailed',
        Dimensions: [{ Name: 'service', Value: PREFIX }],
      },
      {
        Namespace: 'AWS/States',
        MetricName: 'ExecutionsFailed',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: 'FanOutStateMachine' } }],
      },
    ]);
    const dlq = props(deployed.Resources.ScheduleDeadLetterAlarm);
    expect(dlq).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['FanOutDeadLetterQueue', 'QueueName'] } }],
      Threshold: 1,
    });
  });

  it('shares the GrowingIO budget through the budget bucket, whose slot objects expire after a day', () => {
    const variables = props(deployed.Resources.RequestExportLambdaFunction).Environment.Variables;
    expect(variables).toMatchObject({
      GROWINGIO_SHARED_BUDGET: 's3',
      GROWINGIO_BUDGET_BUCKET: { Ref: 'RateBudgetBucket' },
      GROWINGIO_BUDGET_SLOT_MS: '550',
    });
    const rules = props(deployed.Resources.RateBudgetBucket).LifecycleConfiguration.Rules;
    expect(rules).toEqual([{ Id: 'expire-budget-slots', Status: 'Enabled', ExpirationInDays: 1 }]);
  });

  it('gives every function the metrics namespace and service', () => {
    for (const [id, fn] of resourcesOfType(deployed, 'AWS::Lambda::Function')) {
      expect(props(fn).Environment.Variables, id).toMatchObject({
        METRICS_NAMESPACE: 'AudiencePipeline',
        METRICS_SERVICE: PREFIX,
      });
    }
  });
});
