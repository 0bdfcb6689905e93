// `npm run bench [-- copy|listing|paging|cold-start|polling|hash|audience …]`: runs the benchmarks and writes bench/RESULTS.md.
import { runAudienceBench } from './audience.ts';
import { runColdStartBench } from './cold-start.ts';
import { runCopyBench } from './copy.ts';
import { runHashBench } from './hash.ts';
import { runListingBench } from './listing.ts';
import { runPagingBench } from './paging.ts';
import { runPollingBench } from './polling.ts';
import { type BenchResult, fmt, progress, RESULTS_PATH, renderSection, writeResults } from './results.ts';

const BENCHES: Record<string, () => Promise<BenchResult>> = {
  copy: runCopyBench,
  listing: runListingBench,
  paging: runPagingBench,
  'cold-start': runColdStartBench,
  polling: runPollingBench,
  hash: runHashBench,
  audience: runAudienceBench,
};
const ORDER = Object.keys(BENCHES);

const names = process.argv.slice(2);
const unknown = names.filter((name) => !(name in BENCHES));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark ${unknown.join(', ')}; choose from ${ORDER.join(', ')}\n`);
  process.exit(2);
}

const results: BenchResult[] = [];
for (const name of names.length > 0 ? names : ORDER) {
  progress(`${name}: starting`);
  const started = performance.now();
  try {
    const result = await BENCHES[name]!();
    results.push(result);
    // Written after every bench, so a later failure keeps what was measured.
    writeResults([result], ORDER);
    const failed = result.rows.filter((row) => row.met === false).length;
    progress(`${name}: done in ${fmt((performance.now() - started) / 1000)} s, ${failed} target(s) missed`);
  } catch (error) {
    process.exitCode = 1;
    progress(`${name}: FAILED ${(error as Error).stack ?? error}`);
  }
}
process.stdout.write(`${results.map(renderSection).join('\n\n')}\n`);
progress(`results written to ${RESULTS_PATH.pathname}`);
