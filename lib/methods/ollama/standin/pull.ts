/**
 * The stand-in's /api/pull: Ollama's progress lines (pulling manifest, one "pulling <digest>"
 * per layer with total/completed bytes, verifying, writing manifest, success), the model built
 * by the forge first when it is not present, each layer read back and checked against its digest.
 *
 * @module
 */
import type { WireProgress } from "../wire.ts";
import { fileDigest, modelFiles, type OfflineModel, readLayer } from "./models.ts";

/** The progress lines of pulling `model` (undefined: not a model the stand-in knows). */
export async function* pullSteps(
  model: OfflineModel | undefined,
): AsyncGenerator<WireProgress> {
  yield { status: "pulling manifest" };
  if (!model) throw new Error("pull model manifest: file does not exist");
  if (!(await model.present())) {
    // The forge's notes go out as statuses while it builds, not after.
    const notes: string[] = [];
    let wake = () => {};
    let built = false;
    const building = model.build((t) => {
      notes.push(t);
      wake();
    }).finally(() => {
      built = true;
      wake();
    });
    while (!built || notes.length) {
      if (notes.length) yield { status: notes.shift()! };
      else await new Promise<void>((r) => (wake = r));
    }
    await building;
  }
  const files = await modelFiles(model.dir);
  const digests = [];
  for (const f of files) digests.push(await fileDigest(f));
  for (const [i, f] of files.entries()) {
    const digest = `sha256:${digests[i]}`;
    const status = `pulling ${digests[i].slice(0, 12)}`;
    yield { status, digest, total: f.size };
    // The layer is read again, as a download would receive it, and checked against the
    // manifest's digest.
    const layer = readLayer(f);
    let next;
    while (!(next = await layer.next()).done) {
      yield { status, digest, total: f.size, completed: next.value };
    }
    if (next.value !== digests[i]) throw new Error(`digest mismatch for ${digest}`);
  }
  yield { status: "verifying sha256 digest" };
  yield { status: "writing manifest" };
  yield { status: "success" };
}
