/**
 * The Modelfile route: the class's model in a real Ollama, without internet.
 *
 *   deno task modelfile [--preset kit-es] [--variant q4_0] [--out out/ollama]
 *
 * Builds the preset's GGUF with the forge (if needed), copies it to `<out>/<preset>/` beside a
 * Modelfile (FROM ./<preset>-<variant>.gguf, TEMPLATE, PARAMETER stop, SYSTEM) and prints the
 * `ollama create` command that imports it.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { basename, join, resolve } from "node:path";
import { ensureGguf, ForgeError, getPreset, type GgufVariant, PRESETS } from "../lib/forge/mod.ts";
import { OUT_DIR } from "../lib/env/paths.ts";
import { modelfileText } from "../lib/offline/ollama_gguf_model.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    preset: { type: "string", default: "kit-es" in PRESETS ? "kit-es" : "tiny" },
    variant: { type: "string", default: "q4_0" },
    out: { type: "string", default: join(OUT_DIR, "ollama") },
  },
});

try {
  const preset = getPreset(values.preset!);
  const variant = values.variant as GgufVariant;
  const gguf = await ensureGguf(preset.name, variant);
  const dir = resolve(values.out!, preset.name);
  await Deno.mkdir(dir, { recursive: true });
  const target = join(dir, basename(gguf));
  await Deno.copyFile(gguf, target);
  const numCtx = Math.min(preset.shape.max_position_embeddings, 2048);
  await Deno.writeTextFile(
    join(dir, "Modelfile"),
    modelfileText({ from: `./${basename(gguf)}`, numCtx }),
  );
  console.log(`Modelfile y ${basename(gguf)} listos en ${dir}`);
  console.log("Con un Ollama real en marcha (ollama serve), impórtalo y úsalo sin internet:\n");
  console.log(`  cd ${dir}`);
  console.log(`  ollama create ${preset.name} -f Modelfile`);
  console.log(`  ollama run ${preset.name} "¿Qué es la cuantización?"`);
} catch (e) {
  if (e instanceof ForgeError) {
    console.error(`Error: ${e.message}`);
    Deno.exit(1);
  }
  throw e;
}
