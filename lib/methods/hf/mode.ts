/**
 * How methods 1 and 2 run here: online (models from the Hugging Face hub, or the mirror in
 * HF_ENDPOINT) or offline (the kit's local models). Never probed in offline mode.
 *
 * @module
 */
import { kitConfig, type MethodMode, reachable } from "../../core/mod.ts";
import { KIT_ES_NOTE } from "../../forge/mod.ts";

const probes = new Map<string, Promise<boolean>>();

/** True when the hub (HF_ENDPOINT) answers; cached per address; false at once offline. */
export function hubReachable(): Promise<boolean> {
  const { offline, hf } = kitConfig();
  if (offline) return Promise.resolve(false);
  let p = probes.get(hf.endpoint);
  if (!p) {
    p = reachable(`${hf.endpoint}/api/models?limit=1`);
    probes.set(hf.endpoint, p);
  }
  return p;
}

/**
 * The mode of method 1 or 2 (the same rule for both: they share the hub).
 *
 * @example
 * ```ts
 * (await hubMode(1)).mode; // "offline" with KIT_OFFLINE=1
 * ```
 */
export async function hubMode(method: 1 | 2): Promise<MethodMode> {
  const name = method === 1 ? "Pipeline" : "Optimizado";
  const { offline, hf } = kitConfig();
  if (offline) {
    return {
      method,
      name,
      mode: "offline",
      reason: `KIT_OFFLINE=1: modo sin conexión pedido; modelo local del kit (${KIT_ES_NOTE})`,
    };
  }
  return (await hubReachable())
    ? { method, name, mode: "online", reason: `Hub accesible (${hf.endpoint}): modelos reales` }
    : {
      method,
      name,
      mode: "offline",
      reason: `Hub inaccesible (${hf.endpoint}): modelo local del kit (${KIT_ES_NOTE})`,
    };
}
