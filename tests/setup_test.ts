/** scripts/setup.ts: idempotent, project-local, clear when it cannot install. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  APT_INSTALL_COMMAND,
  denoKernelSpec,
  ensureAptPackages,
  ensureKernelSpec,
  SetupError,
} from "../scripts/setup.ts";
import { tempDir } from "./_notebooks.ts";

Deno.test("kernelspec: this Deno binary, no colours, written once", () => {
  const dir = tempDir("jupyter-");
  assert.equal(ensureKernelSpec(dir), true);
  assert.equal(ensureKernelSpec(dir), false, "second run does nothing");
  const spec = JSON.parse(readFileSync(join(dir, "kernels", "deno", "kernel.json"), "utf8"));
  assert.deepEqual(spec, denoKernelSpec());
  assert.equal(spec.argv[0], Deno.execPath());
  assert.deepEqual(spec.argv.slice(1), ["jupyter", "--kernel", "--conn", "{connection_file}"]);
  assert.equal(spec.env.NO_COLOR, "1");
  assert.equal(spec.language, "typescript");
});

Deno.test("Jupyter or the Spanish dictionary missing and not root → the exact apt-get command, nothing installed", async () => {
  for (
    const missing of [
      { python: "/nonexistent/python3" },
      { dictionary: "/nonexistent/es_ES.dic" },
    ]
  ) {
    await assert.rejects(
      () => ensureAptPackages({ isRoot: false, ...missing }),
      (e: unknown) => {
        assert.ok(e instanceof SetupError);
        assert.ok(e.message.includes(APT_INSTALL_COMMAND), e.message);
        return true;
      },
    );
  }
  assert.match(APT_INSTALL_COMMAND, /^sudo apt-get install -y --no-install-recommends /);
  assert.match(APT_INSTALL_COMMAND, / hunspell-es/);
});

Deno.test("a second `deno task setup` does no work", async () => {
  const run = async () => {
    const { success, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../scripts/setup.ts", import.meta.url).pathname],
      stdout: "piped",
    }).output();
    assert.ok(success);
    return new TextDecoder().decode(stdout);
  };
  await run();
  assert.match(await run(), /todo estaba listo, no hizo falta nada/);
});
