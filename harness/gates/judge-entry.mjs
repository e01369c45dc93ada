// Worker thread bootstrap for the judge thread: registers tsx in this thread, then runs the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./judge-thread.ts');
