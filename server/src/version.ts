// Injected by esbuild from package.json; the fallback serves unbundled test runs.
declare const __BERTH_VERSION__: string | undefined;
export const BERTH_VERSION: string = typeof __BERTH_VERSION__ === 'string' ? __BERTH_VERSION__ : '0.0.0-dev';
