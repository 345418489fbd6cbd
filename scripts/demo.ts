/**
 * `deno task demo` — the kit's main job. Until the four methods and the comparison exist,
 * it runs the environment check and says plainly what is still missing.
 *
 * @module
 */
import { loadEnv, machineInfo, machineRows, methodModes } from "../lib/env/mod.ts";
import { markdownTable } from "../lib/show/mod.ts";

loadEnv();
console.log("\n== Esta máquina ==\n");
console.log(markdownTable(machineRows(await machineInfo()), {
  headers: { item: "Recurso", value: "Valor" },
}));
console.log("\n== Cómo iría cada método aquí ==\n");
console.log(markdownTable(await methodModes(), {
  headers: { method: "#", name: "Método", mode: "Modo", reason: "Motivo" },
}));
console.log(
  "\nTodavía no disponible en esta versión del kit: los cuatro métodos (pipeline, optimizado," +
    " Ollama, Groq) y su comparación medida con informe. Por ahora: el cuaderno" +
    " notebooks/00_entorno.ipynb (deno task nb notebooks/00_entorno.ipynb).",
);
