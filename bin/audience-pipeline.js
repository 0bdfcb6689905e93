#!/usr/bin/env node
// The `audience-pipeline` command: runs local/cli/main.ts on Node 24 (type stripping), even where `node` on PATH is older.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../local/cli/main.ts', import.meta.url));
const [major, minor] = process.versions.node.split('.').map(Number);
if (major > 23 || (major === 22 && minor >= 18) || (major === 23 && minor >= 6)) {
  await import(cli);
} else {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(pinned)) {
    process.stderr.write('audience-pipeline: needs Node >= 22.18 or the pinned Node 24 (run `npm ci` first)\n');
    process.exit(2);
  }
  const result = spawnSync(pinned, [cli, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
