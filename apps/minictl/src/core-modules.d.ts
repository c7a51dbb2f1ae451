/** What build.js tells the CLI's bundle of the other commands' bundle (load-more.ts). */
declare module 'minictl:core-modules' {
  /** The modules of the CLI's bundle that the other bundle uses, by path. */
  const modules: Record<string, unknown>;
  export default modules;
  /** The file name, without extension, of the other bundle and of its code cache in dist/. */
  export const moreName: string;
}
