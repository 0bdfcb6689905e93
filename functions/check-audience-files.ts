// Lambda entry of the sync state machine's CheckAudienceFiles task; built on first invocation (functions/handlers/check-audience-files.ts).
import { createCheckAudienceFiles } from './handlers/check-audience-files.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(() => createCheckAudienceFiles());
