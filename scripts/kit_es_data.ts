/**
 * Prepares kit-es training: splits the course corpus (data/kit_es/split.json), trains the
 * tokenizer on the training split (data/kit_es/model/tokenizer*.json) and writes the token
 * sequences the PyTorch script reads (default .cache/kit_es/dataset.json).
 *
 *   deno task kit-es-data [--texto DIR]… [--qa DIR]… [--out FILE]
 *
 * Then: `python3 scripts/train_kit_es.py --data .cache/kit_es/dataset.json` on a GPU machine.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import {
  buildDataset,
  ForgeError,
  KIT_ES_DIR,
  loadChatTokenizer,
  loadKitEsCorpus,
  splitKitEs,
  splitManifest,
  writeKitEsTokenizer,
} from "../lib/forge/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    texto: { type: "string", multiple: true },
    qa: { type: "string", multiple: true },
    out: {
      type: "string",
      default: join(KIT_ES_DIR, "..", "..", ".cache", "kit_es", "dataset.json"),
    },
    "model-dir": { type: "string", default: join(KIT_ES_DIR, "model") },
  },
});

try {
  const t0 = performance.now();
  const corpus = await loadKitEsCorpus(values.texto, values.qa);
  const split = splitKitEs(corpus);
  const manifest = splitManifest(split);
  await Deno.mkdir(KIT_ES_DIR, { recursive: true });
  await Deno.writeTextFile(
    join(KIT_ES_DIR, "split.json"),
    JSON.stringify(manifest, null, 2) + "\n",
  );
  const counts = manifest.counts as Record<string, number>;
  const valShare = counts.valGroups / Math.max(1, counts.valGroups + counts.trainGroups);
  console.log(
    `Corpus: ${corpus.paragraphs.length} párrafos, ${corpus.groups.length} grupos de preguntas; ` +
      `validación: ${counts.valGroups} grupos (${(100 * valShare).toFixed(1)} %), ` +
      `${counts.valParagraphs} párrafos.`,
  );
  if (corpus.groups.length >= 20 && valShare < 0.1) {
    throw new ForgeError(
      `Solo el ${(100 * valShare).toFixed(1)} % de los grupos queda para validación (< 10 %).`,
    );
  }
  const modelDir = values["model-dir"]!;
  await writeKitEsTokenizer(split.train, modelDir);
  console.log(`Tokenizador entrenado en ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
  const data = buildDataset(await loadChatTokenizer(modelDir), split);
  const tokens = (xs: { ids: number[] }[]) => xs.reduce((n, x) => n + x.ids.length, 0);
  await Deno.mkdir(dirname(values.out!), { recursive: true });
  await Deno.writeTextFile(values.out!, JSON.stringify(data));
  console.log(
    `Datos: ${data.train.length} ejemplos de entrenamiento (${tokens(data.train)} tokens), ` +
      `${data.val.length} de validación (${tokens(data.val)} tokens) → ${values.out} ` +
      `(${((performance.now() - t0) / 1000).toFixed(1)} s).`,
  );
} catch (e) {
  if (!(e instanceof ForgeError)) throw e;
  console.error(`Error: ${e.message}`);
  Deno.exit(1);
}
