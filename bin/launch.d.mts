// Types for bin/launch.mjs (plain JavaScript: it runs before tsx is registered).
export declare const NODE_FLAGS: string[];
export declare function needsRelaunch(env?: NodeJS.ProcessEnv, execArgv?: string[], platform?: NodeJS.Platform): boolean;
export declare function relaunch(script: string, args: string[]): Promise<number>;
export declare function watchLauncher(env?: NodeJS.ProcessEnv): void;
