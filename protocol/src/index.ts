// The one place for protocol types. Both the client and the server import from here; nothing
// here may import vscode or dockerode (lint enforces it).
export * from './errors';
export type { WithProgress } from './params/progress';
export * from './identity';
export * from './engine';
export * from './server';
export * from './workloads';
export * from './workspace';
export * from './plugins';
export * from './snapshots';
export * from './restore';
export * from './steps';
export * from './hooks';
export * from './schedules';
