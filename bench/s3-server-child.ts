// Runs one S3 target (the discarding sink or s3rver) in its own process, so it never shares an event loop with the emulator.
import { startLocalS3 } from '../local/aws/s3.ts';
import { startS3Sink } from './s3-sink.ts';

/** argv: `sink` | `s3rver <directory> <bucket>`; prints `{"endpoint": …}` once listening, stops on SIGTERM. */
const [kind, directory, bucket] = process.argv.slice(2);
const server =
  kind === 's3rver'
    ? await startLocalS3({ ...(directory ? { directory } : {}), buckets: bucket ? [bucket] : [] })
    : await startS3Sink();
process.stdout.write(`${JSON.stringify({ endpoint: server.endpoint })}\n`);
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
