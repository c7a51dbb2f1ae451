export { CapsError } from "./errors";
export { CAP_NAMES, capName, capNumber, lastCap } from "./names";
export { allMask, checkMask, hasCap, maskOf, namesOf } from "./masks";
export type { CapFlagSets, CapMask, CapSets } from "./masks";
export { capToText, parseCapText } from "./text";
export { applySetEdit } from "./edits";
export { SECBITS, parseSecurebits, securebitsToLetters } from "./securebits";
export { DEFAULT_CAPS, resolveRunPolicy } from "./policy";
export type { RunPolicyOptions } from "./policy";
