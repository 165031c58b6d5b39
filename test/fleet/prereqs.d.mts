// Types for prereqs.mjs.
export const DOCKER_SOCKET: string;
/** Debian packages the fleet needs that are not installed. */
export function missingPackages(): string[];
/** True when the Docker engine answers GET /_ping. */
export function dockerPing(timeoutMs?: number): Promise<boolean>;
/** Installs missing packages and starts dockerd (root only); throws with a readable message otherwise. */
export function ensurePrereqs(opts?: { dockerTimeoutMs?: number }): Promise<void>;
