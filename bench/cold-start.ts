// Cold-start benchmark: each Lambda bundled like serverless-esbuild, zipped size and import time in a fresh Node process.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import { bundle, lambdaEntries } from './bundle.ts';
import { runNode } from './node-child.ts';
import { type BenchResult, fmt, median, progress, type Row, ratio } from './results.ts';

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 7);
const OUT = new URL('./.tmp/cold-start/', import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const KB = 1000;

/** What getConfig() needs at module load, and nothing that could reach a real service. */
const CHILD_ENV = {
  PATH: process.env.PATH ?? '',
  NODE_PATH: `${ROOT}node_modules`,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'BENCH',
  AWS_SECRET_ACCESS_KEY: 'BENCH',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:bench',
  EXPORT_BUCKET: 'bench-bucket',
  GROWINGIO_TOKEN: 'bench-token',
  TENCENT_ACCESS_TOKEN: 'bench-token',
  LOG_LEVEL: 'error',
};

// performance.now() counts from process start, so the second figure includes Node's own boot.
const PROBE = `const t0 = performance.now(); const m = await import(process.argv[1]);
if (typeof m.handler !== 'function') throw new Error('no handler export');
const t1 = performance.now(); console.log(JSON.stringify({ importMs: t1 - t0, readyMs: t1 }));`;

/** A real single-entry zip (deflate, level 9), as a deployment package holding only the bundle. */
export function zip(name: string, data: Buffer): Buffer {
  const deflated = deflateRawSync(data, { level: 9 });
  const nameBytes = Buffer.from(name);
  const crc = crc32(data);
  const entry = (signature: number, central: boolean) => {
    const header = Buffer.alloc(central ? 46 : 30);
    header.writeUInt32LE(signature, 0);
    const at = central ? 6 : 4; // the central header has "version made by" first
    if (central) header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, at); // version needed
    header.writeUInt16LE(8, at + 4); // deflate
    header.writeUInt32LE(crc, at + 10);
    header.writeUInt32LE(deflated.length, at + 14);
    header.writeUInt32LE(data.length, at + 18);
    header.writeUInt16LE(nameBytes.length, at + 22);
    return Buffer.concat([header, nameBytes]);
  };
  const local = entry(0x04034b50, false);
  const central = entry(0x02014b50, true);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(local.length + deflated.length, 16);
  return Buffer.concat([local, deflated, central, end]);
}

interface ImportTime {
  importMs: number;
  readyMs: number;
}

async function importOnce(file: string): Promise<ImportTime> {
  const { code, stdout, stderr } = await runNode(['--input-type=module', '-e', PROBE, file], CHILD_ENV);
  if (code !== 0) throw new Error(`import of ${file} failed: ${stderr.slice(-600)}`);
  return JSON.parse(stdout.trim()) as ImportTime;
}

interface Variant {
  bytes: number;
  zipped: number;
  importMs: number;
  readyMs: number;
}

async function buildVariant(name: string, entry: string, kind: 'min' | 'full'): Promise<{ file: string; v: Variant }> {
  const file = fileURLToPath(new URL(`${kind}/${name}.mjs`, OUT));
  const overrides = kind === 'full' ? { minify: false, treeShaking: false } : {};
  const bytes = await bundle(entry, file, overrides);
  const zipped = zip(`${entry.replace(/\.ts$/, '.mjs')}`, await readFile(file));
  await writeFile(`${file}.zip`, zipped);
  return { file, v: { bytes, zipped: zipped.length, importMs: 0, readyMs: 0 } };
}

async function measureFunction(name: string, entry: string): Promise<{ min: Variant; full: Variant }> {
  const min = await buildVariant(name, entry, 'min');
  const full = await buildVariant(name, entry, 'full');
  const times: Record<'min' | 'full', ImportTime[]> = { min: [], full: [] };
  for (let run = 0; run < RUNS; run++) {
    // Alternating, so background load hits both variants alike.
    times.min.push(await importOnce(min.file));
    times.full.push(await importOnce(full.file));
  }
  const finish = (variant: Variant, samples: ImportTime[]): Variant => ({
    ...variant,
    importMs: median(samples.map((s) => s.importMs)),
    readyMs: median(samples.map((s) => s.readyMs)),
  });
  const result = { min: finish(min.v, times.min), full: finish(full.v, times.full) };
  progress(
    `cold-start ${name}: ${fmt(result.min.zipped / KB)} KB zipped, import ${fmt(result.min.importMs, 0)} ms ` +
      `(unminified ${fmt(result.full.zipped / KB)} KB, ${fmt(result.full.importMs, 0)} ms)`,
  );
  return result;
}

export async function runColdStartBench(): Promise<BenchResult> {
  await rm(OUT, { recursive: true, force: true });
  await mkdir(OUT, { recursive: true });
  const sizeRows: Row[] = [];
  const timeRows: Row[] = [];
  for (const { name, entry } of lambdaEntries()) {
    const { min, full } = await measureFunction(name, entry);
    sizeRows.push({
      figure: `${name} zipped (bundle ${fmt(min.bytes / KB)} KB)`,
      value: `${fmt(min.zipped / KB)} KB`,
      baseline: `unminified ${fmt(full.zipped / KB)} KB`,
      ratio: ratio(min.zipped, full.zipped),
      target: '< 250 KB',
      met: min.zipped < 250 * KB,
    });
    timeRows.push({
      figure: `${name} import, median of ${RUNS} (process ready at ${fmt(min.readyMs, 0)} ms)`,
      value: `${fmt(min.importMs, 0)} ms`,
      baseline: `unminified ${fmt(full.importMs, 0)} ms`,
      ratio: ratio(min.importMs, full.importMs),
      target: '< 150 ms',
      met: min.importMs < 150,
    });
  }
  await rm(OUT, { recursive: true, force: true });
  return {
    name: 'cold-start',
    title: 'Cold start: bundled handlers (size and import time)',
    rows: [...sizeRows, ...timeRows],
    notes: [
      'Bundles use serverless.yml custom.esbuild exactly (esm, node24, minify, bundle, banner, @aws-sdk/* external, ' +
        'plugin-only options removed as serverless-esbuild does); the baseline is the same build with ' +
        '`minify: false, treeShaking: false`. Functions and entries come from serverless.yml.',
      'Zipped = a real zip holding only the bundle, deflate level 9 (KB = 1000 bytes); `sls package` adds little ' +
        '(a zip directory entry or two).',
      `Import = \`await import(bundle)\` in a fresh \`node --input-type=module\` process with a minimal env ` +
        '(STATE_MACHINE_ARN, EXPORT_BUCKET, tokens), so getConfig() runs at load; "process ready" counts from process start. ' +
        '@aws-sdk/* load from node_modules (ESM ignores NODE_PATH; they resolve by walking up from bench/.tmp), ' +
        "as Lambda's runtime provides them; their load time is part of both figures.",
    ],
  };
}
