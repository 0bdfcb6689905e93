// Lambda entry of planFanOut: the fan-out's Plan Jobs task; built on first invocation (functions/handlers/plan-fan-out.ts), nothing runs at import.
import { createPlanFanOut } from './handlers/plan-fan-out.ts';
import { lazyHandler } from './middleware/lazy.ts';

export const handler = lazyHandler(createPlanFanOut);
