/**
 * Method 2, the optimized run: the same library with a chosen dtype (fp32/fp16/q8/q4) and device
 * (cpu/webgpu), loaded once and reused; each dtype measured in a fresh process; the local
 * generator behind the offline stand-ins.
 *
 * @module
 */
export * from "./backend.ts";
export * from "./device.ts";
export * from "./dtype_compare.ts";
export * from "./local.ts";
