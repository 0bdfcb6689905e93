// Packages the service offline and reads the CloudFormation template as CloudFormation would deploy it.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SLS_BIN = join(ROOT, 'node_modules/osls/bin/serverless.js');

export interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface Template {
  Resources: Record<string, Resource>;
  Conditions?: Record<string, unknown>;
  Outputs?: Record<string, unknown>;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * `sls package --stage <stage>` into a temporary folder with no AWS credentials in the environment, so a template
 * that needs an account lookup fails here. Each run bundles in its own esbuild work folder: a run deletes its
 * work folder when done, which would break another run sharing it.
 */
export async function packageTemplate(stage: string, params: Record<string, string> = {}): Promise<Template> {
  const dir = await mkdtemp(join(tmpdir(), `sls-template-${stage}-`));
  const env: NodeJS.ProcessEnv = { ...process.env, ESBUILD_WORK_FOLDER: relative(ROOT, join(dir, 'esbuild')) };
  for (const key of Object.keys(env)) if (/^AWS_/.test(key)) delete env[key];
  Object.assign(env, { AWS_EC2_METADATA_DISABLED: 'true', SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' });
  const args = ['package', '--stage', stage, '--package', join(dir, 'out')];
  for (const [key, value] of Object.entries(params)) args.push(`--param=${key}=${value}`);
  const unlock = await lockPackaging();
  try {
    await promisify(execFile)(process.execPath, [SLS_BIN, ...args], { cwd: ROOT, env, timeout: 120_000 });
    return JSON.parse(await readFile(join(dir, 'out/cloudformation-template-update-stack.json'), 'utf8')) as Template;
  } finally {
    await unlock();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Two `sls package` runs of one service folder at once (test files run in parallel workers) can hand one of them the
 * other's stage and params, or fail outright: they share state in the service folder. A lock directory (mkdir is
 * atomic) serialises them across processes; one older than 150 s was left by a killed run and is broken.
 */
async function lockPackaging(): Promise<() => Promise<void>> {
  const lock = join(tmpdir(), `sls-package-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`);
  for (;;) {
    try {
      await mkdir(lock);
      return () => rm(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 150_000) await rm(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Evaluates one condition; after `sls package` every operand is a literal, so no parameter lookups are needed. */
function evaluateCondition(node: unknown, conditions: Record<string, unknown>): boolean {
  if (!isObject(node)) throw new Error(`Unsupported condition ${JSON.stringify(node)}`);
  const [[fn, args]] = Object.entries(node) as [[string, unknown]];
  const list = args as unknown[];
  switch (fn) {
    case 'Condition':
      return evaluateCondition(conditions[String(args)], conditions);
    case 'Fn::Not':
      return !evaluateCondition(list[0], conditions);
    case 'Fn::And':
      return list.every((item) => evaluateCondition(item, conditions));
    case 'Fn::Or':
      return list.some((item) => evaluateCondition(item, conditions));
    case 'Fn::Equals':
      if (list.some((item) => typeof item === 'object'))
        throw new Error(`Non-literal Fn::Equals ${JSON.stringify(list)}`);
      return String(list[0]) === String(list[1]);
    default:
      throw new Error(`Unsupported condition function ${fn}`);
  }
}

export function evaluateConditions(template: Template): Record<string, boolean> {
  const conditions = template.Conditions ?? {};
  return Object.fromEntries(
    Object.entries(conditions).map(([name, node]) => [name, evaluateCondition(node, conditions)]),
  );
}

function resolveIfs(node: unknown, truth: Record<string, boolean>): unknown {
  if (Array.isArray(node)) return node.map((item) => resolveIfs(item, truth)).filter((item) => item !== NO_VALUE);
  if (!isObject(node)) return node;
  if (node.Ref === 'AWS::NoValue') return NO_VALUE;
  const branch = node['Fn::If'] as [string, unknown, unknown] | undefined;
  if (branch) {
    if (!(branch[0] in truth)) throw new Error(`Fn::If on unknown condition ${branch[0]}`);
    return resolveIfs(truth[branch[0]] ? branch[1] : branch[2], truth);
  }
  const entries = Object.entries(node).map(([key, value]) => [key, resolveIfs(value, truth)] as const);
  return Object.fromEntries(entries.filter(([, value]) => value !== NO_VALUE));
}

/** The stack as deployed: resources whose Condition is false are gone, every Fn::If is decided, NoValue dropped. */
export function deployedView(template: Template): Template {
  const truth = evaluateConditions(template);
  const resources: Record<string, Resource> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Condition !== undefined && !truth[resource.Condition]) continue;
    resources[id] = resolveIfs(resource, truth) as Resource;
  }
  return { ...template, Resources: resources };
}

export function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** Renders Ref / Fn::GetAtt / Fn::Join / Fn::Sub as readable text, e.g. `arn:{AWS::Partition}:states:…:{MyRole.Arn}`. */
export function renderText(node: unknown): string {
  if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') return String(node);
  if (!isObject(node)) return JSON.stringify(node);
  if (typeof node.Ref === 'string') return `{${node.Ref}}`;
  const getAtt = node['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return `{${getAtt.join('.')}}`;
  const join = node['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map(renderText).join(join[0]);
  const sub = node['Fn::Sub'];
  if (typeof sub === 'string' || Array.isArray(sub)) {
    const [text, values] = (typeof sub === 'string' ? [sub, {}] : sub) as [string, Record<string, unknown>];
    return text.replace(/\$\{([^}]+)\}/g, (_whole, name: string) =>
      name in values ? renderText(values[name]) : `{${name}}`,
    );
  }
  return JSON.stringify(node);
}

export interface Statement {
  Effect: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

export interface Grant {
  /** Logical id of the role the statement applies to. */
  role: string;
  /** Where it came from: the role's inline policy or an AWS::IAM::Policy resource. */
  source: string;
  statement: Statement;
}

export function asList<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function policyStatements(document: unknown): Statement[] {
  return asList((document as { Statement?: Statement | Statement[] }).Statement);
}

/** Every identity-policy statement in the stack, attributed to the role it is attached to. */
export function grants(template: Template): Grant[] {
  const out: Grant[] = [];
  for (const [role, resource] of resourcesOfType(template, 'AWS::IAM::Role')) {
    for (const policy of asList(resource.Properties?.Policies as { PolicyDocument: unknown }[])) {
      for (const statement of policyStatements(policy.PolicyDocument)) out.push({ role, source: role, statement });
    }
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, resource] of resourcesOfType(template, type)) {
      for (const roleRef of asList(resource.Properties?.Roles as { Ref: string }[])) {
        for (const statement of policyStatements(resource.Properties?.PolicyDocument)) {
          out.push({ role: roleRef.Ref, source: id, statement });
        }
      }
    }
  }
  return out;
}

/** `action @ resource` pairs of a role's Allow statements, rendered as text: the exact privileges, sorted. */
export function privileges(template: Template, role: string): string[] {
  const pairs = new Set<string>();
  for (const grant of grants(template)) {
    if (grant.role !== role || grant.statement.Effect !== 'Allow') continue;
    for (const action of asList(grant.statement.Action)) {
      for (const resource of asList(grant.statement.Resource)) pairs.add(`${action} @ ${renderText(resource)}`);
    }
  }
  return [...pairs].sort();
}

/** The packaged state machine definition, its Fn::Sub placeholders replaced by the Lambda ARNs they stand for. */
export function packagedDefinition(template: Template, stateMachineId: string): Record<string, unknown> {
  const sub = template.Resources[stateMachineId]?.Properties?.DefinitionString as { 'Fn::Sub': [string, unknown] };
  const [text, values] = sub['Fn::Sub'] as [
    string,
    Record<string, { 'Fn::GetAtt': [string, string] } | { Ref: string }>,
  ];
  const resolved = text.replace(/\$\{([^}]+)\}/g, (_whole, name: string) => {
    const value = values[name]!;
    // A Ref to another state machine of the stack (the sync's nested export) stays a recognisable placeholder.
    if ('Ref' in value) return `{Ref:${value.Ref}}`;
    const [functionId] = value['Fn::GetAtt'];
    const functionName = template.Resources[functionId]?.Properties?.FunctionName;
    return `arn:aws:lambda:us-east-1:123456789012:function:${String(functionName)}`;
  });
  return JSON.parse(resolved) as Record<string, unknown>;
}
