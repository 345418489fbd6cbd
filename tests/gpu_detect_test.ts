/**
 * The GPU path without a GPU: WebGPU diagnosis on simulated machines (no GPU, GPU without
 * Vulkan loader, loader without driver, all present, non-NVIDIA adapter, macOS); the optimized
 * backend's device decision (chooseDevice) on those simulated diagnoses and on the real
 * onnxruntime's error; and the backend's CPU fallback on this machine.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { offlineTest, withEnv } from "./_env.ts";
import { KitError } from "../lib/core/mod.ts";
import {
  detectWebGpu,
  type GpuProbes,
  loaderFromLdconfig,
  VULKAN_LOADER_FIX,
  webGpuStatusText,
} from "../lib/env/gpu.ts";
import { createOptimizedBackend } from "../lib/methods/optimized/backend.ts";
import { chooseDevice, deviceFailure, fallbackNotice } from "../lib/methods/optimized/device.ts";
import { continuation, TINY_DIR } from "./_tiny_oracle.ts";

const H200 = { name: "NVIDIA H200", memoryTotalBytes: 143771 * 2 ** 20, memoryUsedBytes: 0 };
const LOADER = "/usr/lib/x86_64-linux-gnu/libvulkan.so.1";
const ICD = "/usr/share/vulkan/icd.d/nvidia_icd.json";

/** A simulated Linux machine: an NVIDIA GPU, the Vulkan loader and its ICD, unless overridden. */
function machine(over: Partial<GpuProbes> = {}): Partial<GpuProbes> {
  return {
    os: "linux",
    nvidiaGpus: () => Promise.resolve([H200]),
    vulkanLoader: () => Promise.resolve(LOADER),
    vulkanDrivers: () => Promise.resolve([ICD]),
    webgpuAdapter: () => Promise.resolve(null),
    ...over,
  };
}

offlineTest("detectWebGpu: no GPU at all", async () => {
  const s = await detectWebGpu(machine({
    nvidiaGpus: () => Promise.resolve([]),
    vulkanLoader: () => Promise.resolve(null),
    vulkanDrivers: () => Promise.resolve([]),
  }));
  assert.equal(s.available, false);
  assert.equal(s.reason, "no-gpu");
  assert.match(s.message, /Esta máquina no tiene GPU/);
  assert.match(s.fix!, /Cambiar tipo de entorno de ejecución → GPU/);
});

offlineTest("detectWebGpu: a software adapter (llvmpipe) is not a GPU", async () => {
  const s = await detectWebGpu(machine({
    nvidiaGpus: () => Promise.resolve([]),
    webgpuAdapter: () =>
      Promise.resolve({ description: "llvmpipe (LLVM 15.0.6, 256 bits)", isFallback: true }),
  }));
  assert.equal(s.reason, "no-gpu");
  assert.match(s.message, /adaptador por software, «llvmpipe/);
  assert.match(s.message, /aunque el cargador de Vulkan está instalado/);
});

offlineTest("detectWebGpu: a GPU without the Vulkan loader names the package", async () => {
  const s = await detectWebGpu(machine({ vulkanLoader: () => Promise.resolve(null) }));
  assert.equal(s.available, false);
  assert.equal(s.reason, "no-vulkan-loader");
  assert.match(s.message, /Hay GPU \(NVIDIA H200\), pero falta el cargador de Vulkan/);
  assert.equal(s.fix, `Instálalo con: ${VULKAN_LOADER_FIX}`);
  assert.match(VULKAN_LOADER_FIX, /apt-get install -y libvulkan1/);
});

offlineTest("detectWebGpu: loader but no Vulkan driver", async () => {
  const s = await detectWebGpu(machine({ vulkanDrivers: () => Promise.resolve([]) }));
  assert.equal(s.available, false);
  assert.equal(s.reason, "no-vulkan-driver");
  assert.match(s.message, /ningún driver Vulkan/);
  assert.ok(s.fix);
});

offlineTest("detectWebGpu: GPU, loader and driver present", async () => {
  const s = await detectWebGpu(machine());
  assert.equal(s.available, true);
  assert.equal(s.reason, "ready");
  assert.equal(s.gpu, "NVIDIA H200");
  assert.equal(s.vulkanLoader, LOADER);
  assert.deepEqual(s.vulkanDrivers, [ICD]);
  assert.match(s.message, /GPU disponible para WebGPU: NVIDIA H200/);
  assert.equal(s.fix, undefined);
});

offlineTest(
  "detectWebGpu: a non-NVIDIA GPU seen by Deno's WebGPU; macOS needs no Vulkan",
  async () => {
    const amd = await detectWebGpu(machine({
      nvidiaGpus: () => Promise.resolve([]),
      webgpuAdapter: () =>
        Promise.resolve({ description: "AMD Radeon RX 7900", isFallback: false }),
    }));
    assert.equal(amd.available, true);
    assert.equal(amd.gpu, "AMD Radeon RX 7900");

    let askedLoader = false;
    const mac = await detectWebGpu(machine({
      os: "darwin",
      nvidiaGpus: () => Promise.resolve([]),
      webgpuAdapter: () => Promise.resolve({ description: "Apple M3", isFallback: false }),
      vulkanLoader: () => {
        askedLoader = true;
        return Promise.resolve(null);
      },
    }));
    assert.equal(mac.available, true);
    assert.equal(askedLoader, false);
  },
);

offlineTest("loaderFromLdconfig reads `ldconfig -p`", () => {
  const out = "1234 libs found in cache `/etc/ld.so.cache'\n" +
    "\tlibvulkan.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libvulkan.so.1\n" +
    "\tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1\n";
  assert.equal(loaderFromLdconfig(out), "/lib/x86_64-linux-gnu/libvulkan.so.1");
  assert.equal(loaderFromLdconfig("\tlibz.so.1 (libc6,x86-64) => /lib/libz.so.1\n"), null);
});

offlineTest("detectWebGpu on this machine answers (no GPU in CI)", async () => {
  const s = await detectWebGpu();
  assert.equal(typeof s.available, "boolean");
  assert.ok(s.message.length > 10);
  if (!s.available) assert.ok(s.fix, "a missing piece always comes with a fix");
});

offlineTest("deviceFailure translates onnxruntime's messages", () => {
  assert.match(
    deviceFailure("webgpu", "Failed to get a WebGPU adapter: No supported adapters"),
    /^onnxruntime no encontró ningún adaptador WebGPU.*\(Failed to get a WebGPU adapter/,
  );
  assert.match(deviceFailure("cuda", "Failed to load shared library"), /no trae el proveedor CUDA/);
  assert.match(deviceFailure("webgpu", "other\nlines"), /no pudo usar «webgpu» \(other\)\.$/);
});

const noLoader = () => detectWebGpu(machine({ vulkanLoader: () => Promise.resolve(null) }));
const ready = () => detectWebGpu(machine());

offlineTest(
  "chooseDevice: webgpu without the Vulkan loader is a Spanish error naming the fix",
  async () => {
    const e = chooseDevice("webgpu", await noLoader(), false);
    assert.ok(e instanceof KitError);
    assert.equal(e.kind, "unsupported");
    assert.equal(e.method, 2);
    assert.match(e.message, /El dispositivo «webgpu» no está disponible aquí: Hay GPU/);
    assert.match(e.message, /apt-get install -y libvulkan1/);
    assert.match(e.message, /Usa device: "cpu" o fallbackToCpu: true\./);
  },
);

offlineTest("chooseDevice: with fallbackToCpu, the CPU and the reason", async () => {
  const choice = chooseDevice("webgpu", await noLoader(), true);
  assert.ok(!(choice instanceof KitError));
  assert.equal(choice.device, "cpu");
  assert.match(choice.fallback!, /falta el cargador de Vulkan/);
  assert.match(
    fallbackNotice(choice.fallback!),
    /^⚠ Sin GPU: Hay GPU .*falta el cargador de Vulkan.* Seguimos en CPU \(fallbackToCpu: true\)/,
  );
});

offlineTest("chooseDevice: cpu, or a ready webgpu, is kept as asked", async () => {
  assert.deepEqual(chooseDevice("cpu", await noLoader(), false), { device: "cpu", fallback: null });
  assert.deepEqual(chooseDevice("cpu", null, true), { device: "cpu", fallback: null });
  assert.deepEqual(chooseDevice("webgpu", await ready(), false), {
    device: "webgpu",
    fallback: null,
  });
});

offlineTest(
  "chooseDevice: cuda that onnxruntime cannot open; the fallback hint only for webgpu",
  () => {
    const cause = new Error("Failed to load shared library libonnxruntime_providers_cuda.so");
    const e = chooseDevice("cuda", null, false, cause);
    assert.ok(e instanceof KitError);
    assert.equal(e.cause, cause);
    assert.match(
      e.message,
      /^El dispositivo «cuda» no está disponible aquí: onnxruntime-node no trae/,
    );
    assert.match(e.message, /Usa device: "cpu"\.$/);
    const cpu = chooseDevice("cuda", null, true, cause);
    assert.deepEqual(cpu, { device: "cpu", fallback: deviceFailure("cuda", cause.message) });
  },
);

// An adapter the diagnosis believes in (simulated) but onnxruntime cannot open: the case of a
// machine whose GPU has no working Vulkan driver. The error is the real onnxruntime's, opening
// tiny on webgpu here; only meaningful where there is no real GPU.
const realGpu = (await detectWebGpu()).available;

Deno.test({
  name: "adapter simulated, onnxruntime finds none: translated error, or CPU when asked",
  ignore: realGpu,
  fn: async () => {
    const { default: ort } = await import("onnxruntime-node");
    const loadError = await ort.InferenceSession.create(
      join(TINY_DIR, "onnx", "model_q4.onnx"),
      { executionProviders: ["webgpu"] },
    ).then(() => null, (e: unknown) => e);
    assert.ok(loadError instanceof Error, "onnxruntime opened webgpu without a GPU");
    const e = chooseDevice("webgpu", await ready(), false, loadError);
    assert.ok(e instanceof KitError);
    assert.equal(e.cause, loadError);
    assert.match(e.message, /onnxruntime no encontró ningún adaptador WebGPU/);
    assert.match(e.message, /Usa device: "cpu" o fallbackToCpu: true\./);
    const choice = chooseDevice("webgpu", await ready(), true, loadError);
    assert.ok(!(choice instanceof KitError));
    assert.equal(choice.device, "cpu");
    assert.match(fallbackNotice(choice.fallback!), /⚠ Sin GPU: onnxruntime no encontró/);
  },
});

Deno.test({
  name: "webgpu with fallbackToCpu on this machine (no GPU): runs on the CPU and says why",
  ignore: realGpu,
  fn: () =>
    withEnv({ KIT_OFFLINE: "1" }, async () => {
      const lines: string[] = [];
      const backend = await createOptimizedBackend({
        model: "tiny",
        dtype: "fp32",
        device: "webgpu",
        fallbackToCpu: true,
        log: (l) => lines.push(l),
      });
      try {
        assert.equal(backend.device, "cpu");
        assert.equal(backend.requestedDevice, "webgpu");
        assert.equal(backend.fallback, webGpuStatusText(await detectWebGpu()));
        assert.deepEqual(lines, [fallbackNotice(backend.fallback!)]);
        const r = await backend.generate("La memoria", { maxTokens: 8 });
        assert.equal(r.text, continuation("La memoria", 8));
        assert.equal(r.memory?.gpuBytes, undefined, "no GPU memory reported on the CPU");
      } finally {
        await backend.close();
      }
      await assert.rejects(
        createOptimizedBackend({ model: "tiny", dtype: "q4", device: "webgpu" }),
        (e: Error) => e instanceof KitError && /Usa device: "cpu" o fallbackToCpu/.test(e.message),
      );
    }),
});

offlineTest("cpu asked for: no fallback note", async () => {
  const lines: string[] = [];
  const backend = await createOptimizedBackend({
    model: "tiny",
    dtype: "q4",
    log: (l) => lines.push(l),
  });
  assert.equal(backend.requestedDevice, "cpu");
  assert.equal(backend.fallback, null);
  assert.deepEqual(lines, []);
  await backend.close();
});
