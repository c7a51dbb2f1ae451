export { LaunchError, SpecError, errnoName } from './errors';
export { validateSpec, NAMESPACES, PASTA_DNS, type ContainerSpec, type ProcessSpec, type MountSpec, type IdMapping, type NamespaceType } from './spec';
export { compilePlan, cloneFlags, preludeSteps, type PlanContext, type PreludeSpec } from './plan';
export { endEarlyLauncher, launch, launchDetached, prelaunch, startLauncherEarly, type Detached, type IdsToMap, type LaunchHooks, type Prelaunched } from './launch';
export { actionSteps, type CredAction } from './actions';
export { credentialSteps, seccompFilterHex } from './credentials';
export { delegatedCgroup, hostCgroups, placeInCgroup, type CgroupHost, type Controller } from './cgroup';
export { findPasta, pastaStatus, startPasta, type Publish } from './pasta';
export { alive, bootId, signalContainer, startTime, stateRoot, StateStore, type ContainerRecord, type Status } from './state';
