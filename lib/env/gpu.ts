/**
 * Can this machine run `device: "webgpu"`? onnxruntime-node's WebGPU provider is Dawn; on
 * Linux Dawn talks to the GPU through Vulkan, so it needs three things: a GPU, the Vulkan
 * loader (`libvulkan.so.1`, Debian/Ubuntu package `libvulkan1`) and the GPU vendor's Vulkan
 * driver (an ICD file such as `nvidia_icd.json`, installed with the NVIDIA driver). Each
 * probe is a function the caller can replace, so every branch is testable without a GPU.
 *
 * @module
 */
import { existsSync, readdirSync } from "node:fs";
import { kitConfig } from "../core/mod.ts";
import { delimiter, join } from "node:path";
import { type GpuInfo, nvidiaGpus } from "./machine.ts";

/** What Deno's own WebGPU (`navigator.gpu`) reports about its best adapter. */
export interface AdapterInfo {
  /** Adapter description (e.g. "NVIDIA H200", "llvmpipe (LLVM 15.0.6, 256 bits)"). */
  description: string;
  /** True for a software rasterizer (llvmpipe, SwiftShader): no real GPU behind it. */
  isFallback: boolean;
}

/** The machine facts the WebGPU diagnosis is made from; each one replaceable in tests. */
export interface GpuProbes {
  /** Operating system as `Deno.build.os` names it. */
  os: string;
  /** Path of the Vulkan loader (libvulkan.so.1), or null when absent. */
  vulkanLoader(): Promise<string | null>;
  /** Vulkan driver manifests (ICD .json files) the loader will find. */
  vulkanDrivers(): Promise<string[]>;
  /** NVIDIA GPUs from nvidia-smi (empty without the NVIDIA driver or without a GPU). */
  nvidiaGpus(): Promise<GpuInfo[]>;
  /** Deno's own WebGPU adapter (a second opinion for non-NVIDIA GPUs), or null. */
  webgpuAdapter(): Promise<AdapterInfo | null>;
}

/** Why WebGPU can or cannot be used. */
export type WebGpuReason =
  | "ready"
  | "no-gpu"
  | "no-vulkan-loader"
  | "no-vulkan-driver";

/** The diagnosis: whether to try `device: "webgpu"`, and what to tell the student. */
export interface WebGpuStatus {
  available: boolean;
  reason: WebGpuReason;
  /** GPU name(s) when one was found. */
  gpu: string | null;
  /** The Vulkan loader found (Linux), or null. */
  vulkanLoader: string | null;
  /** Vulkan driver manifests found (Linux). */
  vulkanDrivers: string[];
  /** One Spanish sentence: what was found or what is missing. */
  message: string;
  /** What to do about it (Spanish, with the command), when something is missing. */
  fix?: string;
}

/** Folders where Debian, Ubuntu, Fedora and Colab keep libvulkan.so.1. */
export const VULKAN_LOADER_PATHS: readonly string[] = [
  "/usr/lib/x86_64-linux-gnu/libvulkan.so.1",
  "/lib/x86_64-linux-gnu/libvulkan.so.1",
  "/usr/lib/aarch64-linux-gnu/libvulkan.so.1",
  "/usr/lib64/libvulkan.so.1",
  "/usr/lib/libvulkan.so.1",
  "/usr/local/lib/libvulkan.so.1",
];

/** Folders the Vulkan loader searches for driver manifests (ICDs). */
export const VULKAN_ICD_DIRS: readonly string[] = [
  "/usr/share/vulkan/icd.d",
  "/usr/local/share/vulkan/icd.d",
  "/etc/vulkan/icd.d",
];

/** Where a containerised NVIDIA driver may keep its ICD outside the loader's search path. */
export const NVIDIA_CONTAINER_ICD = "/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json";

/** The Debian/Ubuntu command that installs the Vulkan loader. */
export const VULKAN_LOADER_FIX = "sudo apt-get install -y libvulkan1";

/** Finds libvulkan.so.1 in `ldconfig -p`'s output (null when it is not listed). */
export function loaderFromLdconfig(output: string): string | null {
  for (const line of output.split("\n")) {
    const m = /^\s*libvulkan\.so\.1\s.*=>\s*(\S+)/.exec(line);
    if (m) return m[1];
  }
  return null;
}

async function defaultVulkanLoader(): Promise<string | null> {
  for (const ldconfig of ["ldconfig", "/sbin/ldconfig", "/usr/sbin/ldconfig"]) {
    try {
      const { success, stdout } = await new Deno.Command(ldconfig, {
        args: ["-p"],
        stdout: "piped",
        stderr: "null",
      }).output();
      if (success) {
        const found = loaderFromLdconfig(new TextDecoder().decode(stdout));
        if (found) return found;
        break;
      }
    } catch { /* try the next name */ }
  }
  const extra = kitConfig().vulkan.libraryPath
    .map((d) => join(d, "libvulkan.so.1"));
  return [...extra, ...VULKAN_LOADER_PATHS].find((p) => existsSync(p)) ?? null;
}

function defaultVulkanDrivers(): Promise<string[]> {
  const fromEnv = kitConfig().vulkan.driverFiles.join(delimiter)
    .split(delimiter).filter((p) => p && existsSync(p));
  if (fromEnv.length) return Promise.resolve(fromEnv);
  const dirs = [...VULKAN_ICD_DIRS];
  for (const d of kitConfig().vulkan.dataDirs) {
    dirs.push(join(d, "vulkan", "icd.d"));
  }
  const found: string[] = [];
  for (const dir of new Set(dirs)) {
    try {
      for (const f of readdirSync(dir)) if (f.endsWith(".json")) found.push(join(dir, f));
    } catch { /* no such folder */ }
  }
  return Promise.resolve(found);
}

async function defaultWebgpuAdapter(timeoutMs = 5000): Promise<AdapterInfo | null> {
  // deno-lint-ignore no-explicit-any
  const gpu = (navigator as any).gpu;
  if (!gpu?.requestAdapter) return null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const adapter = await Promise.race([
      gpu.requestAdapter({ powerPreference: "high-performance" }),
      new Promise((resolve) => timer = setTimeout(() => resolve(null), timeoutMs)),
    ]);
    if (!adapter) return null;
    const info = adapter.info ?? {};
    const description = String(info.description || info.device || info.vendor || "desconocido");
    const isFallback = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) ||
      /llvmpipe|swiftshader|software/i.test(description);
    return { description, isFallback };
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** The real probes of this machine. */
export const defaultGpuProbes: GpuProbes = {
  os: Deno.build.os,
  vulkanLoader: defaultVulkanLoader,
  vulkanDrivers: defaultVulkanDrivers,
  nvidiaGpus,
  webgpuAdapter: () => defaultWebgpuAdapter(),
};

/**
 * Diagnoses whether onnxruntime's WebGPU provider can find a GPU here, and if not, why and
 * what to install. It does not load onnxruntime: the final word is still the session's
 * ("Failed to get a WebGPU adapter"), which `createOptimizedBackend` also translates.
 *
 * @example
 * ```ts
 * const status = await detectWebGpu();
 * console.log(status.message, status.fix ?? "");
 * // On a CPU-only machine: "Esta máquina no tiene GPU: …"
 * ```
 */
export async function detectWebGpu(probes: Partial<GpuProbes> = {}): Promise<WebGpuStatus> {
  const p: GpuProbes = { ...defaultGpuProbes, ...probes };
  const nvidia = await p.nvidiaGpus();
  let gpu = nvidia.length ? nvidia.map((g) => g.name).join("; ") : null;
  let softwareOnly: string | null = null;
  if (!gpu) {
    const adapter = await p.webgpuAdapter();
    if (adapter && !adapter.isFallback) gpu = adapter.description;
    else if (adapter) softwareOnly = adapter.description;
  }
  const linux = p.os === "linux";
  const loader = linux ? await p.vulkanLoader() : null;
  const drivers = linux ? await p.vulkanDrivers() : [];
  const base = { gpu, vulkanLoader: loader, vulkanDrivers: drivers };

  if (!gpu) {
    const seen = softwareOnly
      ? ` (solo hay un adaptador por software, «${softwareOnly}», que no es una GPU)`
      : "";
    return {
      ...base,
      available: false,
      reason: "no-gpu",
      message: `Esta máquina no tiene GPU${seen}: nvidia-smi no encuentra ninguna` +
        (loader ? ` aunque el cargador de Vulkan está instalado (${loader}).` : "."),
      fix: "En Colab: Entorno de ejecución → Cambiar tipo de entorno de ejecución → GPU.",
    };
  }
  if (linux && !loader) {
    return {
      ...base,
      available: false,
      reason: "no-vulkan-loader",
      message: `Hay GPU (${gpu}), pero falta el cargador de Vulkan (libvulkan.so.1), ` +
        "que el proveedor WebGPU de onnxruntime necesita en Linux.",
      fix: `Instálalo con: ${VULKAN_LOADER_FIX}`,
    };
  }
  if (linux && drivers.length === 0) {
    const container = existsSync(NVIDIA_CONTAINER_ICD);
    return {
      ...base,
      available: false,
      reason: "no-vulkan-driver",
      message: `Hay GPU (${gpu}) y cargador de Vulkan, pero ningún driver Vulkan (archivo ICD ` +
        `en ${VULKAN_ICD_DIRS[0]}).`,
      fix: container
        ? `Indícale dónde está: export VK_DRIVER_FILES=${NVIDIA_CONTAINER_ICD}`
        : "Instala la parte Vulkan del driver de la GPU (NVIDIA: el paquete libnvidia-gl " +
          "de la misma versión que el driver).",
    };
  }
  return {
    ...base,
    available: true,
    reason: "ready",
    message: linux
      ? `GPU disponible para WebGPU: ${gpu} (Vulkan: ${loader}).`
      : `GPU disponible para WebGPU: ${gpu}.`,
  };
}

/** The status as one Spanish paragraph: message, then the fix if any. */
export function webGpuStatusText(status: WebGpuStatus): string {
  return status.fix ? `${status.message} ${status.fix}` : status.message;
}
