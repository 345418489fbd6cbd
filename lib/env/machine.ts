/** What this machine has: runtime versions, CPU, memory, GPU, disk. */
import os from "node:os";
import { readFileSync, statfsSync } from "node:fs";
import { ROOT } from "../core/paths.ts";

/** One GPU as nvidia-smi reports it. */
export interface GpuInfo {
  name: string;
  memoryTotalBytes: number;
  memoryUsedBytes: number;
}

/** A snapshot of the machine. */
export interface MachineInfo {
  deno: string;
  v8: string;
  typescript: string;
  os: string;
  cpuModel: string;
  cpuCores: number;
  memoryTotalBytes: number;
  memoryAvailableBytes: number;
  gpus: GpuInfo[];
  diskFreeBytes: number;
}

const MIB = 1024 * 1024;

/** Parses `nvidia-smi --query-gpu=name,memory.total,memory.used --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(csv: string): GpuInfo[] {
  return csv.trim().split("\n").filter((l) => l.trim()).map((line) => {
    const parts = line.split(",").map((s) => s.trim());
    const used = Number(parts.pop());
    const total = Number(parts.pop());
    return { name: parts.join(", "), memoryTotalBytes: total * MIB, memoryUsedBytes: used * MIB };
  });
}

/** GPUs from nvidia-smi; an empty list when it is absent or fails (no GPU). */
export async function nvidiaGpus(): Promise<GpuInfo[]> {
  try {
    const { success, stdout } = await new Deno.Command("nvidia-smi", {
      args: ["--query-gpu=name,memory.total,memory.used", "--format=csv,noheader,nounits"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return success ? parseNvidiaSmi(new TextDecoder().decode(stdout)) : [];
  } catch {
    return [];
  }
}

/** Memory the OS could give a new process now (MemAvailable), falling back to free memory. */
export function availableMemoryBytes(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch { /* not Linux */ }
  return os.freemem();
}

/**
 * Reads the machine: Deno/V8/TypeScript versions, CPU, RAM, GPUs (nvidia-smi), free disk
 * where the project lives.
 *
 * @example
 * ```ts
 * const m = await machineInfo();
 * m.gpus.length === 0; // "sin GPU"
 * ```
 */
export async function machineInfo(): Promise<MachineInfo> {
  const disk = statfsSync(ROOT);
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    os: `${os.type()} ${os.release()} (${Deno.build.arch})`,
    cpuModel: os.cpus()[0]?.model ?? "desconocido",
    cpuCores: navigator.hardwareConcurrency,
    memoryTotalBytes: os.totalmem(),
    memoryAvailableBytes: availableMemoryBytes(),
    gpus: await nvidiaGpus(),
    diskFreeBytes: disk.bavail * disk.bsize,
  };
}

/** Formats bytes as GB (10^9, as model cards and the session's slides do), 1 decimal. */
export function formatGB(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`;
}

/** The machine as table rows with Spanish labels, for the student. */
export function machineRows(m: MachineInfo): { item: string; value: string }[] {
  const gpus = m.gpus.length ? m.gpus.map((g) => g.name).join("; ") : "sin GPU";
  const vram = m.gpus.length
    ? m.gpus.map((g) => `${formatGB(g.memoryTotalBytes)} (en uso ${formatGB(g.memoryUsedBytes)})`)
      .join("; ")
    : "—";
  return [
    { item: "Deno", value: m.deno },
    { item: "Kernel de Jupyter", value: `deno jupyter ${m.deno}` },
    { item: "V8 / TypeScript", value: `${m.v8} / ${m.typescript}` },
    { item: "Sistema", value: m.os },
    { item: "CPU", value: m.cpuModel },
    { item: "Núcleos de CPU", value: String(m.cpuCores) },
    { item: "RAM total", value: formatGB(m.memoryTotalBytes) },
    { item: "RAM disponible", value: formatGB(m.memoryAvailableBytes) },
    { item: "GPU", value: gpus },
    { item: "VRAM", value: vram },
    { item: "Disco libre", value: formatGB(m.diskFreeBytes) },
  ];
}
