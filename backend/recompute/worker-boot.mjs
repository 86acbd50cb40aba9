// Starts the TypeScript worker under tsx (Node 20 does not apply `--import tsx` inside workers).
import { tsImport } from 'tsx/esm/api';
await tsImport('./worker.ts', import.meta.url);
