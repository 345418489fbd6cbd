/**
 * One child process of the GPU benchmark (lib/bench/gpu_child.ts starts it):
 * `_gpu_child.ts build '<BuildJob>'` builds one forge folder, `_gpu_child.ts run '<RunSpec>'`
 * measures one case or lever; either prints its result as one marked JSON line.
 *
 * @module
 */
import { buildGpuFolder, CHILD_MARK, runGpuSpec } from "./gpu_child.ts";

if (import.meta.main) {
  const [kind, spec] = Deno.args;
  const result = kind === "build"
    ? await buildGpuFolder(JSON.parse(spec))
    : await runGpuSpec(JSON.parse(spec));
  console.log(CHILD_MARK + JSON.stringify(result));
  Deno.exit(0);
}
