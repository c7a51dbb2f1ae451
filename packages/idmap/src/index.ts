export { IdMapError } from './errors';
export {
  ID_LIMIT,
  MAX_RECORDS,
  formatIdMap,
  formatIdRecord,
  parseIdMap,
  validateIdMap,
  type IdKind,
  type IdMap,
  type IdMapRecord,
} from './map';
export { parseSubIdFile, readSubIds, subIdFile, type SubIdOwner, type SubIdRange } from './subid';
export { checkGranted } from './grant';
export { mapsForMode, type Identity, type ModeMaps, type UsernsMode } from './modes';
export { findHelper, type HelperName, type HelperStatus } from './helpers';
export { helperArgs, startMaps, type MapsInProgress, type WriteMapsOptions } from './write';
