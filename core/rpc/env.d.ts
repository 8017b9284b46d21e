// The few host globals core/rpc uses; present in Node, browsers and Electron alike.
// Declared here so this folder compiles without DOM or Node typings.
declare function setTimeout(handler: () => void, ms: number): unknown;
declare function clearTimeout(handle: unknown): void;
declare function queueMicrotask(cb: () => void): void;
declare const console: { warn(...args: unknown[]): void };
