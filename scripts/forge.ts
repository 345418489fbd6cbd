/**
 * The model forge's command line.
 *
 *   deno task forge --preset tiny [--out DIR] [--dtypes fp32,fp16,q8,q4]
 *                   [--safetensors | --no-safetensors] [--external auto|always|never]
 *                   [--measure [--tokens N]] [--gguf f16,q8_0,q4_0]
 *   deno task forge --list
 *
 * Builds the preset into DIR (default .cache/models/<preset>), prints how long each file and
 * the whole build took, and with --measure the peak RSS of load + generate for each dtype.
 * --gguf also writes the GGUF files (llama.cpp / Ollama) into .cache/gguf/ from the same weights;
 * given without --dtypes, only the GGUF files are built.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { basename, dirname, join, resolve } from "node:path";
import {
  buildGguf,
  buildModel,
  defaultModelDir,
  forgeContentHash,
  type ForgeDtype,
  ForgeError,
  getPreset,
  type GgufVariant,
  measureRss,
  PRESETS,
} from "../lib/forge/mod.ts";
import { countParams } from "../lib/measure/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    preset: { type: "string" },
    out: { type: "string" },
    dtypes: { type: "string" },
    safetensors: { type: "boolean" },
    "no-safetensors": { type: "boolean" },
    external: { type: "string", default: "auto" },
    measure: { type: "boolean", default: false },
    tokens: { type: "string", default: "8" },
    list: { type: "boolean", default: false },
    gguf: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;

try {
  if (values.list || values.help || !values.preset) {
    console.log(
      "Uso: deno task forge --preset <nombre> [--out DIR] [--dtypes fp32,fp16,q8,q4] [--measure]\n",
    );
    console.log("Presets:");
    for (const p of Object.values(PRESETS)) {
      console.log(
        `  ${p.name.padEnd(16)} ${
          (countParams(p.shape) / 1e6).toFixed(1).padStart(8)
        } M parámetros  ` +
          `(${p.defaultDtypes.join(", ")}) — ${p.description}`,
      );
    }
    if (!values.preset && !values.list && !values.help) Deno.exit(2);
    Deno.exit(0);
  }
  const preset = getPreset(values.preset);
  const out = resolve(values.out ?? defaultModelDir(preset.name));
  const dtypes = values.dtypes
    ? (values.dtypes.split(",").map((d) => d.trim()) as ForgeDtype[])
    : undefined;
  const safetensors = values["no-safetensors"] ? false : values.safetensors ? true : undefined;
  const external = values.external as "auto" | "always" | "never";
  if (!["auto", "always", "never"].includes(external)) {
    throw new ForgeError(`--external debe ser auto, always o never (no "${external}").`);
  }
  if (values.gguf) {
    const variants = values.gguf.split(",").map((v) => v.trim()) as GgufVariant[];
    console.log(`GGUF de «${preset.name}»: ${variants.join(", ")}`);
    await buildGguf(preset.name, variants);
    if (!values.dtypes) Deno.exit(0);
  }
  // Ctrl-C: remove this process' unfinished folder (it never looks complete anyway).
  Deno.addSignalListener("SIGINT", () => {
    const parent = dirname(out);
    for (const e of Deno.readDirSync(parent)) {
      if (e.name.startsWith(`${basename(out)}.partial-${Deno.pid}-`)) {
        Deno.removeSync(join(parent, e.name), { recursive: true });
      }
    }
    console.error("\nInterrumpido: no se ha dejado ningún modelo a medias.");
    Deno.exit(130);
  });
  console.log(
    `Fabricando «${preset.name}» (${
      (countParams(preset.shape) / 1e6).toFixed(1)
    } M parámetros) en ${out}`,
  );
  const report = await buildModel(preset.name, out, {
    dtypes,
    safetensors,
    externalData: external,
    stamp: { hash: await forgeContentHash(preset.name) },
  });
  console.log(
    `Listo: «${preset.name}» fabricado en ${report.totalSeconds.toFixed(1)} s → ${report.dir}`,
  );
  if (values.measure) {
    console.log(`Midiendo memoria (carga + ${values.tokens} tokens) por tipo de dato…`);
    const params = countParams(getPreset(preset.name).shape);
    for (const arena of [true, false]) {
      console.log(
        arena
          ? "  con las opciones por defecto de transformers.js:"
          : "  sin el arena de onnxruntime (enableCpuMemArena: false):",
      );
      for (const r of await measureRss(out, report.dtypes, Number(values.tokens), arena)) {
        console.log(
          `    ${r.dtype.padEnd(5)} pico RSS ${mb(r.peakRss)}, modelo ${mb(r.modelRss)} ` +
            `(${(r.modelRss / params).toFixed(2)} bytes/parámetro), carga ${
              (r.loadMs / 1000).toFixed(1)
            } s, ` +
            `${(r.newTokens / (r.generateMs / 1000)).toFixed(1)} tok/s`,
        );
      }
    }
  }
} catch (e) {
  if (e instanceof ForgeError) {
    console.error(`Error: ${e.message}`);
    Deno.exit(1);
  }
  throw e;
}
