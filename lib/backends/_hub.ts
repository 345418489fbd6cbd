/** Internal: is the Hugging Face hub reachable (never probed in offline mode)? */
import { forcedOffline, reachable } from "../env/services.ts";

let cached: Promise<boolean> | null = null;

/** True when the hub answers; cached for the process; false at once with KIT_OFFLINE=1. */
export function hubReachable(): Promise<boolean> {
  if (forcedOffline()) return Promise.resolve(false);
  cached ??= reachable("https://huggingface.co/api/models?limit=1");
  return cached;
}
