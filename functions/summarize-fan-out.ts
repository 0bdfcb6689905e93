// Lambda entry of summarizeFanOut: the fan-out's Summarize task; built on first invocation (functions/handlers/summarize-fan-out.ts), nothing runs at import.
import { createSummarizeFanOut } from './handlers/summarize-fan-out.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(createSummarizeFanOut);
