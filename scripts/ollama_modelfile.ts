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
import { join } from "node:path";
import { ForgeError, type GgufVariant } from "../lib/forge/mod.ts";
import { OUT_DIR } from "../lib/core/mod.ts";
import { classPreset, writeModelfileFolder } from "../lib/methods/ollama/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    preset: { type: "string", default: classPreset() },
    variant: { type: "string", default: "q4_0" },
    out: { type: "string", default: join(OUT_DIR, "ollama") },
  },
});

try {
  const { dir, commands } = await writeModelfileFolder(
    values.preset!,
    values.variant as GgufVariant,
    values.out!,
  );
  console.log(`Modelfile y GGUF listos en ${dir}`);
  console.log("Con un Ollama real en marcha (ollama serve), impórtalo y úsalo sin internet:\n");
  for (const c of commands) console.log(`  ${c}`);
} catch (e) {
  if (e instanceof ForgeError) {
    console.error(`Error: ${e.message}`);
    Deno.exit(1);
  }
  throw e;
}
