// What build.js's virtual module minictl:core-modules is to the bundle, for unit tests that
// import modules which can load the other commands' bundle (load-more.ts); none of them loads it.
export default {};
export const moreName = 'minictl-more-test';
