// `npm run test:package`: packages the service offline and checks that every function and the state machine made it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, '.serverless');
const started = Date.now();
execFileSync('sls', ['package', '--stage', 'smoke'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

const template = JSON.parse(readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8')) as {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
};
const failures: string[] = [];
const functions = ['startExport', 'getExport', 'requestExport', 'copyExport', 'listAudienceFiles'];
for (const fn of functions) {
  const zip = join(outDir, `${fn}.zip`);
  if (!existsSync(zip)) failures.push(`missing ${fn}.zip`);
  else if (statSync(zip).size < 1_000) failures.push(`${fn}.zip is suspiciously small`);
}
const types = Object.values(template.Resources).map((resource) => resource.Type);
for (const type of ['AWS::StepFunctions::StateMachine', 'AWS::S3::Bucket', 'AWS::ApiGatewayV2::Api']) {
  if (!types.includes(type)) failures.push(`template has no ${type}`);
}
const lambdas = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
for (const lambda of lambdas) {
  const props = lambda.Properties ?? {};
  if (props.Runtime !== 'nodejs24.x') failures.push(`${String(props.FunctionName)} runtime ${String(props.Runtime)}`);
  if (!(props.Architectures as string[] | undefined)?.includes('arm64'))
    failures.push(`${String(props.FunctionName)} not arm64`);
}
if (lambdas.length !== functions.length) failures.push(`expected ${functions.length} functions, got ${lambdas.length}`);

if (failures.length > 0) {
  console.error(`package smoke check failed:\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log(`package smoke check: ${functions.length} functions packaged, template ok (${Date.now() - started} ms)`);
