/** The modules of the CLI's bundle that the bundle of the other commands uses (build.js). */
declare module 'minictl:core-modules' {
  const modules: Record<string, unknown>;
  export default modules;
}
