export { ImageError } from './errors';
export { entryPath } from './entry-path';
export type { Compression } from './compression';
export type { ExtractResult } from './extract';
export { importImage, removeTree, type Image, type ImportOptions } from './import';
export { storeFor, type Store } from './store';
export { mountSteps, DEV_NODES, PRIVATE_ROOT, type MountPlanInput, type RootMode, type Volume } from './mounts';
