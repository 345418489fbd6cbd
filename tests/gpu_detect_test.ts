/**
 * The GPU path without a GPU: WebGPU diagnosis on simulated machines (no GPU, GPU without
 * Vulkan loader, loader without driver, all present, non-NVIDIA adapter, macOS), and the
 * optimized backend's errors and CPU fallback, with the real onnxruntime on this machine.
 */
import assert from "node:assert/strict";
import { offlineTest, withEnv } from "./_env.ts";
import { KitError } from "../lib/core/mod.ts";
import {
  detectWebGpu,
  type GpuProbes,
  loaderFromLdconfig,
  VULKAN_LOADER_FIX,
} from "../lib/env/gpu.ts";
import { createOptimizedBackend, deviceFailure } from "../lib/methods/optimized/backend.ts";
import { continuation } from "./_tiny_oracle.ts";

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

offlineTest("webgpu without the Vulkan loader: a Spanish error naming the fix", async () => {
  await assert.rejects(
    createOptimizedBackend({ model: "tiny", dtype: "q4", device: "webgpu", detectGpu: noLoader }),
    (e: Error) => {
      assert.ok(e instanceof KitError);
      assert.match(e.message, /El dispositivo «webgpu» no está disponible aquí: Hay GPU/);
      assert.match(e.message, /apt-get install -y libvulkan1/);
      assert.match(e.message, /Usa device: "cpu" o fallbackToCpu: true\./);
      return true;
    },
  );
});

offlineTest("webgpu with fallbackToCpu: runs on the CPU and says why", async () => {
  const lines: string[] = [];
  const backend = await createOptimizedBackend({
    model: "tiny",
    dtype: "fp32",
    device: "webgpu",
    fallbackToCpu: true,
    detectGpu: noLoader,
    log: (l) => lines.push(l),
  });
  try {
    assert.equal(backend.device, "cpu");
    assert.equal(backend.requestedDevice, "webgpu");
    assert.match(backend.fallback!, /falta el cargador de Vulkan/);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^⚠ Sin GPU: .*Seguimos en CPU \(fallbackToCpu: true\)/);
    const r = await backend.generate("La memoria", { maxTokens: 8 });
    assert.equal(r.text, continuation("La memoria", 8));
    assert.equal(r.memory?.gpuBytes, undefined, "no GPU memory reported on the CPU");
  } finally {
    await backend.close();
  }
});

offlineTest("cpu asked for: no detection, no fallback note", async () => {
  let asked = false;
  const backend = await createOptimizedBackend({
    model: "tiny",
    dtype: "q4",
    detectGpu: () => {
      asked = true;
      return noLoader();
    },
  });
  assert.equal(asked, false);
  assert.equal(backend.requestedDevice, "cpu");
  assert.equal(backend.fallback, null);
  await backend.close();
});

// An adapter the diagnosis believes in (simulated) but onnxruntime cannot open: the case of a
// machine whose GPU has no working Vulkan driver. Only meaningful where there is no real GPU.
const realGpu = (await detectWebGpu()).available;
const simulatedReady = () => detectWebGpu(machine());

Deno.test({
  name: "adapter simulated, onnxruntime finds none: translated error, or CPU when asked",
  ignore: realGpu,
  fn: () =>
    withEnv({ KIT_OFFLINE: "1" }, async () => {
      await assert.rejects(
        createOptimizedBackend({
          model: "tiny",
          dtype: "q4",
          device: "webgpu",
          detectGpu: simulatedReady,
        }),
        (e: Error) => {
          assert.ok(e instanceof KitError);
          assert.match(e.message, /onnxruntime no encontró ningún adaptador WebGPU/);
          assert.match(e.message, /Usa device: "cpu" o fallbackToCpu: true\./);
          return true;
        },
      );
      const lines: string[] = [];
      const backend = await createOptimizedBackend({
        model: "tiny",
        dtype: "q4",
        device: "webgpu",
        fallbackToCpu: true,
        detectGpu: simulatedReady,
        log: (l) => lines.push(l),
      });
      assert.equal(backend.device, "cpu");
      assert.match(backend.fallback!, /adaptador WebGPU/);
      assert.match(lines[0], /⚠ Sin GPU: onnxruntime no encontró/);
      await backend.close();
    }),
});
