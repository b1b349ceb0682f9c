import { accessSync, constants } from 'node:fs';

/**
 * Whether `file` exists and this process may execute it. Used to find nginx
 * (the traffic target) and the project's own tools (src/dev/tools.ts); kept
 * here, the lower layer, since dev code imports targets and never the other way.
 */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
