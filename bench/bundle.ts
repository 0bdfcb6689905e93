// esbuild bundling the way serverless-esbuild does it, with the settings read from serverless.yml custom.esbuild.
import { readFileSync } from 'node:fs';
import { type BuildOptions, build } from 'esbuild';
import { parse } from 'yaml';

const SERVERLESS_YML = new URL('../serverless.yml', import.meta.url);

interface ServerlessYml {
  custom: { esbuild: Record<string, unknown> & { exclude?: string[]; outputFileExtension?: string } };
  functions: Record<string, { handler: string }>;
}

const readYml = () => parse(readFileSync(SERVERLESS_YML, 'utf8')) as ServerlessYml;

/** Function name ⇒ source entry (functions/x.ts) from the `handler` of each function in serverless.yml. */
export function lambdaEntries(): Array<{ name: string; entry: string }> {
  return Object.entries(readYml().functions).map(([name, fn]) => ({
    name,
    entry: `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.ts`,
  }));
}

// Options of the plugin itself, removed before esbuild sees the rest (as serverless-esbuild's bundle.js does).
const PLUGIN_OPTIONS = [
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
];

/** esbuild options equivalent to custom.esbuild (serverless-esbuild turns `exclude` into externals). */
export function lambdaBuildOptions(): BuildOptions {
  const settings = readYml().custom.esbuild;
  const rest = Object.fromEntries(Object.entries(settings).filter(([key]) => !PLUGIN_OPTIONS.includes(key)));
  const external = [...((rest.external as string[] | undefined) ?? []), ...(settings.exclude ?? [])];
  return { ...(rest as BuildOptions), external, logLevel: 'error' };
}

/** Bundle one entry to `outfile` (.mjs); returns its size in bytes. */
export async function bundle(entry: string, outfile: string, overrides: BuildOptions = {}): Promise<number> {
  const result = await build({
    ...lambdaBuildOptions(),
    ...overrides,
    entryPoints: [entry],
    outfile,
    metafile: true,
    absWorkingDir: new URL('..', import.meta.url).pathname,
  });
  return Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
}
