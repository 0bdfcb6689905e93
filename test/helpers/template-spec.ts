// Checks a CloudFormation template against the offline AWS resource specification (@aws-cdk/aws-service-spec).
import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import type { Template } from './template.ts';

// The few shapes of the spec database this check reads (the package's own types live in a transitive dependency).
type SpecType =
  | { type: 'string'; allowedValues?: string[] }
  | { type: 'integer' | 'number' | 'boolean' | 'json' | 'date-time' | 'null' | 'tag' }
  | { type: 'ref'; reference: { $ref: string } }
  | { type: 'array' | 'map'; element: SpecType }
  | { type: 'union'; types: SpecType[] };
interface SpecProperty {
  type: SpecType;
  required?: boolean;
}
interface SpecShape {
  properties: Record<string, SpecProperty>;
}
interface SpecResource extends SpecShape {
  attributes: Record<string, unknown>;
}
export interface Spec {
  resource(type: string): SpecResource | undefined;
  definition(ref: { $ref: string }): SpecShape;
}

export async function loadSpec(): Promise<Spec> {
  const db = await loadAwsServiceSpec();
  return {
    resource: (type) => db.lookup('resource', 'cloudFormationType', 'equals', type)[0] as SpecResource | undefined,
    definition: (ref) => db.get('typeDefinition', ref) as unknown as SpecShape,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A value CloudFormation computes at deploy time: its type cannot be checked here, only its branches (Fn::If). */
function intrinsic(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::')) ? keys[0] : undefined;
}

function isNoValue(value: unknown): boolean {
  return isObject(value) && value.Ref === 'AWS::NoValue';
}

function checkShape(spec: Spec, value: unknown, shape: SpecShape, path: string, errors: string[]): void {
  if (!isObject(value)) {
    errors.push(`${path}: expected an object, got ${JSON.stringify(value)}`);
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    const property = shape.properties[key];
    if (!property) errors.push(`${path}.${key}: no such property in the CloudFormation spec`);
    else checkValue(spec, child, property.type, `${path}.${key}`, errors);
  }
  for (const [key, property] of Object.entries(shape.properties)) {
    if (property.required && !(key in value)) errors.push(`${path}.${key}: required property missing`);
  }
}

function checkScalar(value: unknown, type: SpecType, path: string, errors: string[]): void {
  const ok: Record<string, (v: unknown) => boolean> = {
    string: (v) => ['string', 'number', 'boolean'].includes(typeof v),
    integer: (v) => Number.isInteger(Number(v)) && v !== '' && typeof v !== 'boolean',
    number: (v) => Number.isFinite(Number(v)) && v !== '' && typeof v !== 'boolean',
    boolean: (v) => typeof v === 'boolean' || v === 'true' || v === 'false',
    'date-time': (v) => typeof v === 'string',
  };
  const check = ok[type.type];
  if (check && !check(value)) errors.push(`${path}: ${JSON.stringify(value)} is not a ${type.type}`);
  if (type.type === 'string' && type.allowedValues && !type.allowedValues.includes(String(value))) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${type.allowedValues.join(', ')}`);
  }
}

function checkValue(spec: Spec, value: unknown, type: SpecType, path: string, errors: string[]): void {
  const fn = intrinsic(value);
  if (fn === 'Fn::If') {
    const [, whenTrue, whenFalse] = (value as Record<string, unknown[]>)[fn]!;
    for (const branch of [whenTrue, whenFalse]) if (!isNoValue(branch)) checkValue(spec, branch, type, path, errors);
    return;
  }
  if (fn) return;
  switch (type.type) {
    case 'ref':
      checkShape(spec, value, spec.definition(type.reference), path, errors);
      return;
    case 'array':
      if (!Array.isArray(value)) errors.push(`${path}: expected a list`);
      else for (const [i, item] of value.entries()) checkValue(spec, item, type.element, `${path}[${i}]`, errors);
      return;
    case 'map':
      if (!isObject(value)) errors.push(`${path}: expected a map`);
      else
        for (const [key, item] of Object.entries(value)) checkValue(spec, item, type.element, `${path}.${key}`, errors);
      return;
    case 'union': {
      const attempts = type.types.map((option) => {
        const found: string[] = [];
        checkValue(spec, value, option, path, found);
        return found;
      });
      if (!attempts.some((found) => found.length === 0)) {
        errors.push(...attempts.reduce((best, found) => (found.length < best.length ? found : best)));
      }
      return;
    }
    default:
      checkScalar(value, type, path, errors);
  }
}

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
  'AWS::NotificationARNs',
]);

/** Every Ref / Fn::GetAtt / DependsOn / Condition points at something that exists, with a spec'd attribute. */
function referenceErrors(spec: Spec, template: Template): string[] {
  const errors: string[] = [];
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) for (const [i, item] of node.entries()) visit(item, `${path}[${i}]`);
    if (!isObject(node)) return;
    if (typeof node.Ref === 'string' && !PSEUDO_PARAMETERS.has(node.Ref) && !template.Resources[node.Ref]) {
      errors.push(`${path}: Ref to unknown ${node.Ref}`);
    }
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt)) {
      const [id, attribute] = getAtt as [string, string];
      const target = template.Resources[id];
      if (!target) errors.push(`${path}: Fn::GetAtt on unknown ${id}`);
      else if (!(attribute in (spec.resource(target.Type)?.attributes ?? {}))) {
        errors.push(`${path}: ${target.Type} has no attribute ${attribute}`);
      }
    }
    const ifCondition = (node['Fn::If'] as unknown[] | undefined)?.[0];
    if (typeof ifCondition === 'string' && !template.Conditions?.[ifCondition]) {
      errors.push(`${path}: Fn::If on unknown condition ${ifCondition}`);
    }
    for (const [key, child] of Object.entries(node)) visit(child, `${path}.${key}`);
  };
  for (const [id, resource] of Object.entries(template.Resources)) {
    visit(resource.Properties, id);
    for (const dependency of [resource.DependsOn ?? []].flat()) {
      if (!template.Resources[dependency]) errors.push(`${id}: DependsOn unknown ${dependency}`);
    }
    if (resource.Condition && !template.Conditions?.[resource.Condition]) {
      errors.push(`${id}: unknown condition ${resource.Condition}`);
    }
  }
  visit(template.Outputs, 'Outputs');
  return errors;
}

/** Everything in the template that the CloudFormation resource specification does not know, as readable lines. */
export function specErrors(spec: Spec, template: Template): string[] {
  const errors: string[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const specResource = spec.resource(resource.Type);
    if (!specResource) errors.push(`${id}: unknown resource type ${resource.Type}`);
    else checkShape(spec, resource.Properties ?? {}, specResource, `${id}(${resource.Type})`, errors);
  }
  return [...errors, ...referenceErrors(spec, template)];
}
