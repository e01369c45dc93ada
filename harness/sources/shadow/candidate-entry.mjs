// Worker thread bootstrap for the shadow's candidate thread: registers tsx in this thread, then runs the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./candidate-worker.ts');
