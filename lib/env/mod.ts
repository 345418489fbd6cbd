/**
 * The machine the kit runs on: CPU, RAM, GPUs (nvidia-smi), WebGPU through Vulkan, and how
 * to say it in a table. Paths, `.env` and secrets live in lib/core (one configuration).
 *
 * @module
 */
export {
  availableMemoryBytes,
  formatGB,
  type GpuInfo,
  type MachineInfo,
  machineInfo,
  machineRows,
  nvidiaGpus,
  parseNvidiaSmi,
} from "./machine.ts";
export * from "./gpu.ts";
