// The logger every handler starts with: the configured level, every configured secret redacted, the function named.
import { type Config, configSecrets } from '../../lib/config.ts';
import { createLogger, type Logger } from '../../lib/log.ts';

export function functionLogger(config: Config | undefined, fn: string): Logger {
  return createLogger({
    level: config?.LOG_LEVEL ?? 'info',
    secrets: config ? configSecrets(config) : [],
    base: { fn },
  });
}
