import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // build.js makes this module for the bundle (load-more.ts)
    alias: { 'minictl:core-modules': fileURLToPath(new URL('./test/support/core-modules.ts', import.meta.url)) },
  },
});
