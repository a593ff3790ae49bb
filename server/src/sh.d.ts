// esbuild bundles in-container POSIX sh scripts as strings (loader `.sh: text` in esbuild.mjs).
declare module '*.sh' {
  const text: string;
  export default text;
}
