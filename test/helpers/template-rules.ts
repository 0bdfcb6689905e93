// Security and observability rules for the deployed template; each returns findings (empty = the rule holds).
import { asList, grants, renderText, resourcesOfType, type Template } from './template.ts';

/**
 * The only actions allowed on `Resource: '*'`, each because AWS offers no narrower resource for it.
 * Anything else on '*' is a finding.
 */
export const WILDCARD_RESOURCE_EXCEPTIONS: Record<string, string> = {
  'xray:PutTraceSegments': 'X-Ray has no resource-level permissions; needed by active tracing',
  'xray:PutTelemetryRecords': 'X-Ray has no resource-level permissions; needed by active tracing',
  'xray:GetSamplingRules': 'X-Ray has no resource-level permissions; Step Functions tracing reads sampling rules',
  'xray:GetSamplingTargets': 'X-Ray has no resource-level permissions; Step Functions tracing reads sampling targets',
  'logs:CreateLogDelivery': 'CloudWatch Logs vended-log delivery APIs only support Resource "*"',
  'logs:GetLogDelivery': 'vended-log delivery API, Resource "*" only',
  'logs:UpdateLogDelivery': 'vended-log delivery API, Resource "*" only',
  'logs:DeleteLogDelivery': 'vended-log delivery API, Resource "*" only',
  'logs:ListLogDeliveries': 'vended-log delivery API, Resource "*" only',
  'logs:PutResourcePolicy': 'Step Functions logging sets the log-group resource policy; Resource "*" only',
  'logs:DescribeResourcePolicies': 'Step Functions logging reads resource policies; Resource "*" only',
  'logs:DescribeLogGroups': 'Step Functions logging checks the destination log group; Resource "*" only',
};

/** No `*` / `service:*` action, no NotAction/NotResource, `Resource: '*'` only for the documented exceptions. */
export function iamWildcardFindings(template: Template): string[] {
  const findings: string[] = [];
  for (const { role, source, statement } of grants(template)) {
    if (statement.Effect !== 'Allow') continue;
    const where = `${source} (role ${role})`;
    if (statement.NotAction || statement.NotResource) findings.push(`${where}: NotAction/NotResource in an Allow`);
    const actions = asList(statement.Action);
    for (const action of actions) if (action.includes('*')) findings.push(`${where}: wildcard action ${action}`);
    const resources = asList(statement.Resource).map(renderText);
    if (resources.length === 0 && !statement.NotResource) findings.push(`${where}: statement without Resource`);
    if (resources.includes('*')) {
      const unexcused = actions.filter((action) => !(action in WILDCARD_RESOURCE_EXCEPTIONS));
      if (unexcused.length > 0) findings.push(`${where}: Resource '*' for ${unexcused.join(', ')}`);
    }
  }
  return findings;
}

/** Each Lambda has a role of its own, created for it, with no managed policies. */
export function roleIsolationFindings(template: Template): string[] {
  const findings: string[] = [];
  const owners = new Map<string, string>();
  for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const role = ((fn.Properties?.Role ?? {}) as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];
    if (!role || template.Resources[role]?.Type !== 'AWS::IAM::Role') findings.push(`${id}: role is not in this stack`);
    else if (owners.has(role)) findings.push(`${id} shares role ${role} with ${owners.get(role)}`);
    else owners.set(role, id);
  }
  for (const [id, role] of resourcesOfType(template, 'AWS::IAM::Role')) {
    if (asList(role.Properties?.ManagedPolicyArns as unknown[]).length > 0) findings.push(`${id}: managed policies`);
  }
  return findings;
}

function deniesInsecureTransport(template: Template, bucketId: string): boolean {
  return resourcesOfType(template, 'AWS::S3::BucketPolicy').some(([, policy]) => {
    const props = policy.Properties ?? {};
    if ((props.Bucket as { Ref?: string }).Ref !== bucketId) return false;
    return asList((props.PolicyDocument as { Statement: unknown }).Statement as Record<string, unknown>[]).some(
      (statement) => {
        const resources = asList(statement.Resource).map(renderText);
        return (
          statement.Effect === 'Deny' &&
          statement.Principal === '*' &&
          asList(statement.Action).includes('s3:*') &&
          resources.some((r) => !r.endsWith('/*')) &&
          resources.some((r) => r.endsWith('/*')) &&
          String((statement.Condition as { Bool?: Record<string, unknown> })?.Bool?.['aws:SecureTransport']) === 'false'
        );
      },
    );
  });
}

/** Encrypted, no public access, TLS only (bucket and objects); the export bucket also aborts stale uploads. */
export function bucketFindings(template: Template): string[] {
  const findings: string[] = [];
  for (const [id, bucket] of resourcesOfType(template, 'AWS::S3::Bucket')) {
    const props = bucket.Properties ?? {};
    const sse = (props.BucketEncryption as { ServerSideEncryptionConfiguration?: Record<string, unknown>[] })
      ?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault as { SSEAlgorithm?: string } | undefined;
    if (!sse || !['AES256', 'aws:kms'].includes(String(sse.SSEAlgorithm)))
      findings.push(`${id}: no default encryption`);
    const block = (props.PublicAccessBlockConfiguration ?? {}) as Record<string, unknown>;
    for (const flag of ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets']) {
      if (block[flag] !== true) findings.push(`${id}: ${flag} is not true`);
    }
    if (!deniesInsecureTransport(template, id)) findings.push(`${id}: no policy denying non-TLS requests`);
  }
  const rules = ((template.Resources.ExportBucket?.Properties?.LifecycleConfiguration as { Rules?: unknown[] })
    ?.Rules ?? []) as Record<string, unknown>[];
  const abort = rules.find((rule) => rule.AbortIncompleteMultipartUpload);
  if (
    abort?.Status !== 'Enabled' ||
    String((abort.AbortIncompleteMultipartUpload as Record<string, unknown>).DaysAfterInitiation) !== '1'
  ) {
    findings.push('ExportBucket: no enabled rule aborting incomplete multipart uploads after 1 day');
  }
  return findings;
}

/** Every route is authorized (IAM or JWT), the stage is throttled and access-logged. */
export function apiFindings(template: Template): string[] {
  const findings: string[] = [];
  for (const [id, route] of resourcesOfType(template, 'AWS::ApiGatewayV2::Route')) {
    const type = route.Properties?.AuthorizationType;
    if (type !== 'AWS_IAM' && type !== 'JWT') findings.push(`${id}: AuthorizationType ${String(type)}`);
    const authorizer = (route.Properties?.AuthorizerId as { Ref?: string } | undefined)?.Ref;
    if (type === 'JWT' && template.Resources[authorizer ?? '']?.Type !== 'AWS::ApiGatewayV2::Authorizer') {
      findings.push(`${id}: JWT route without an authorizer`);
    }
  }
  for (const [id, stage] of resourcesOfType(template, 'AWS::ApiGatewayV2::Stage')) {
    const settings = (stage.Properties?.DefaultRouteSettings ?? {}) as Record<string, unknown>;
    for (const limit of ['ThrottlingBurstLimit', 'ThrottlingRateLimit']) {
      if (!(Number(settings[limit]) > 0)) findings.push(`${id}: ${limit} not set`);
    }
    if (!stage.Properties?.AccessLogSettings) findings.push(`${id}: no access logs`);
  }
  return findings;
}

/** Every log group expires, and every Lambda writes to a log group of this stack (not one Lambda creates unbounded). */
export function logFindings(template: Template): string[] {
  const findings: string[] = [];
  const names = new Set<string>();
  for (const [id, group] of resourcesOfType(template, 'AWS::Logs::LogGroup')) {
    if (!(Number(group.Properties?.RetentionInDays) > 0)) findings.push(`${id}: no RetentionInDays`);
    names.add(String(group.Properties?.LogGroupName));
  }
  for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    if (!names.has(`/aws/lambda/${String(fn.Properties?.FunctionName)}`)) findings.push(`${id}: log group not managed`);
  }
  for (const [id, machine] of resourcesOfType(template, 'AWS::StepFunctions::StateMachine')) {
    const logging = machine.Properties?.LoggingConfiguration as Record<string, unknown> | undefined;
    const destination = (logging?.Destinations as { CloudWatchLogsLogGroup?: { LogGroupArn?: unknown } }[])?.[0];
    const groupId = (destination?.CloudWatchLogsLogGroup?.LogGroupArn as { 'Fn::GetAtt'?: string[] })?.[
      'Fn::GetAtt'
    ]?.[0];
    if (logging?.Level !== 'ERROR' || template.Resources[groupId ?? '']?.Type !== 'AWS::Logs::LogGroup') {
      findings.push(`${id}: not logging ERROR to a log group of this stack`);
    }
    if ((machine.Properties?.TracingConfiguration as { Enabled?: boolean })?.Enabled !== true) {
      findings.push(`${id}: X-Ray tracing off`);
    }
  }
  return findings;
}

const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PRIVATE_KEY|ACCESS_KEY/;

/** Secrets reach Lambdas only as SSM parameter names (`*_PARAMETER`), which the Lambda's role may read. */
export function secretFindings(template: Template): string[] {
  const findings: string[] = [];
  for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const variables = ((fn.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables ??
      {}) as Record<string, unknown>;
    const role = ((fn.Properties?.Role ?? {}) as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];
    const readable = grants(template)
      .filter((grant) => grant.role === role && asList(grant.statement.Action).includes('ssm:GetParameters'))
      .flatMap((grant) => asList(grant.statement.Resource).map(renderText));
    for (const [name, value] of Object.entries(variables)) {
      if (!SECRET_NAME.test(name)) continue;
      if (!name.endsWith('_PARAMETER')) findings.push(`${id}: secret-looking variable ${name} holds a value`);
      else if (!String(value).startsWith('/')) findings.push(`${id}: ${name} is not a /-rooted SSM parameter name`);
      else if (!readable.some((arn) => arn.endsWith(`:parameter${String(value)}`))) {
        findings.push(`${id}: role cannot read ${name} = ${String(value)}`);
      }
    }
  }
  return findings;
}

/** Lambda resource policies name the exact caller (API or rule), so no other API or rule can invoke them. */
export function invokePermissionFindings(template: Template): string[] {
  return resourcesOfType(template, 'AWS::Lambda::Permission')
    .filter(([, permission]) => !permission.Properties?.SourceArn)
    .map(([id]) => `${id}: no SourceArn`);
}

export const ALL_RULES = {
  iamWildcardFindings,
  roleIsolationFindings,
  bucketFindings,
  apiFindings,
  logFindings,
  secretFindings,
  invokePermissionFindings,
};
