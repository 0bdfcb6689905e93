// `npm run test:package`: packages the service offline and checks that every function and the state machine made it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { zipEntries } from './helpers/zip-entries.ts';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, '.serverless');
const started = Date.now();
execFileSync('sls', ['package', '--stage', 'smoke'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

const template = JSON.parse(readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8')) as {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
};
const failures: string[] = [];
const functions = [
  'startExport',
  'getExport',
  'listExports',
  'requestExport',
  'copyExport',
  'publishExport',
  'cleanUpExport',
  'planFanOut',
  'summarizeFanOut',
  'listAudienceFiles',
  'startSync',
  'getSync',
  'listSyncs',
  'buildAudienceFiles',
  'ensureAudience',
  'uploadAudienceFile',
  'checkAudienceFiles',
  'finishSync',
  'cleanUpSync',
];
const handlers = new Map(
  Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function')
    .map((resource) => [
      String(resource.Properties?.FunctionName).split('-').pop(),
      String(resource.Properties?.Handler),
    ]),
);
// Each artifact is imported the way Lambda would (fresh Node 24, no repo sources, the SDK from node_modules only).
const unpacked = mkdtempSync(join(root, 'node_modules', '.package-smoke-'));
try {
  for (const fn of functions) {
    const zip = join(outDir, `${fn}.zip`);
    if (!existsSync(zip)) {
      failures.push(`missing ${fn}.zip`);
      continue;
    }
    if (statSync(zip).size < 1_000) failures.push(`${fn}.zip is suspiciously small`);
    const handler = handlers.get(fn) ?? '';
    const file = `${handler.slice(0, handler.lastIndexOf('.'))}.mjs`;
    const code = zipEntries(readFileSync(zip)).get(file);
    if (!code) {
      failures.push(`${fn}.zip has no ${file} for handler ${handler}`);
      continue;
    }
    const target = join(unpacked, fn, file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, code);
    const probe = `const m = await import(${JSON.stringify(target)}); if (typeof m.handler !== 'function') process.exit(3);`;
    try {
      execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:1:stateMachine:x',
          EXPORT_BUCKET: 'smoke-bucket',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (error) {
      failures.push(
        `${fn}: the packaged ${file} does not load: ${String((error as { stderr?: Buffer }).stderr ?? error).slice(-300)}`,
      );
    }
  }
} finally {
  rmSync(unpacked, { recursive: true, force: true });
}
const types = Object.values(template.Resources).map((resource) => resource.Type);
for (const type of [
  'AWS::StepFunctions::StateMachine',
  'AWS::S3::Bucket',
  'AWS::ApiGatewayV2::Api',
  'AWS::Scheduler::Schedule',
]) {
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
