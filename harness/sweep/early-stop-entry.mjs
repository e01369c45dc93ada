// Worker thread bootstrap for the sweep's early-stop checks: registers tsx in this thread, then runs the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./early-stop-worker.ts');
