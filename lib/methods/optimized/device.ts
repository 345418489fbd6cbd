/**
 * Where method 2 runs the model, decided without loading anything: the device asked for, the
 * WebGPU diagnosis (lib/env/gpu.ts) and, once onnxruntime has tried, its error — into the
 * device to load on (the CPU, saying why, when `fallbackToCpu` allows it) or a Spanish
 * {@link KitError} naming the cause and the fix.
 *
 * @module
 */
import { KitError } from "../../core/errors.ts";
import { type WebGpuStatus, webGpuStatusText } from "../../env/gpu.ts";

/** Where onnxruntime runs the model. */
export type Device = "cpu" | "webgpu" | "cuda";

/** The device to load on, and why it is not the one asked for (null when it is). */
export interface DeviceChoice {
  device: Device;
  fallback: string | null;
}

/**
 * Decides the device: `requested` unless it cannot be used — WebGPU when `webGpu` (the
 * diagnosis, null where none was made) says it is unavailable, or any GPU device when
 * onnxruntime failed to open it (`loadError`). Then the CPU with the reason when
 * `fallbackToCpu`, else a KitError "unsupported" to throw. Pure: nothing is detected or loaded.
 *
 * @example
 * ```ts
 * chooseDevice("webgpu", await detectWebGpu(), true); // { device: "cpu", fallback: "Esta máquina no tiene GPU…" }
 * chooseDevice("cpu", null, false); // { device: "cpu", fallback: null }
 * ```
 */
export function chooseDevice(
  requested: Device,
  webGpu: WebGpuStatus | null,
  fallbackToCpu: boolean,
  loadError?: unknown,
): DeviceChoice | KitError {
  if (requested === "cpu") return { device: "cpu", fallback: null };
  let why: string | null = null;
  if (loadError !== undefined) why = deviceFailure(requested, errorMessage(loadError));
  else if (requested === "webgpu" && webGpu && !webGpu.available) why = webGpuStatusText(webGpu);
  if (why === null) return { device: requested, fallback: null };
  if (fallbackToCpu) return { device: "cpu", fallback: why };
  return new KitError(
    `El dispositivo «${requested}» no está disponible aquí: ${why} ` +
      `Usa device: "cpu"${requested === "webgpu" ? " o fallbackToCpu: true" : ""}.`,
    { method: 2, kind: "unsupported", cause: loadError },
  );
}

/** The line printed when the model runs on the CPU instead (fallbackToCpu). */
export function fallbackNotice(why: string): string {
  return `⚠ Sin GPU: ${why} Seguimos en CPU (fallbackToCpu: true): será más lento.`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Spanish explanation of why onnxruntime could not open `device`, from its error message
 * (kept at the end, in parentheses, for whoever needs the original).
 *
 * @example
 * ```ts
 * deviceFailure("webgpu", "Failed to get a WebGPU adapter: No supported adapters");
 * // "onnxruntime no encontró ningún adaptador WebGPU: …"
 * ```
 */
export function deviceFailure(device: Device, ortMessage: string): string {
  const original = ortMessage.split("\n")[0].trim();
  if (device === "webgpu" && /WebGPU adapter|No supported adapters/i.test(ortMessage)) {
    return "onnxruntime no encontró ningún adaptador WebGPU: ninguna GPU es utilizable a " +
      `través de Vulkan (¿falta el driver Vulkan de la GPU?) (${original}).`;
  }
  if (device === "cuda") {
    return "onnxruntime-node no trae el proveedor CUDA en este paquete; para la GPU usa " +
      `device: "webgpu" (${original}).`;
  }
  return `onnxruntime no pudo usar «${device}» (${original}).`;
}
