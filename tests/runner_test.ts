/**
 * The headless runner loses no output to the Deno kernel's idle-before-output race, applies
 * display updates, and fails with distinct exit codes.
 */
import assert from "node:assert/strict";
import { NB_EXIT } from "../scripts/nb.ts";
import { execute, makeNotebook, outputText, writeTempNotebook } from "./_notebooks.ts";

const CELLS = 14;
const SVG = (m: string) => `<svg xmlns="http://www.w3.org/2000/svg"><text>${m}</text></svg>`;

/** A cell printing six outputs of different kinds, each carrying a unique marker. */
function mixedCell(i: number): string {
  return [
    `console.log("stdout-${i}");`,
    `console.error("stderr-${i}");`,
    `Deno.jupyter.display({ "text/markdown": "**md-${i}**" }, { raw: true });`,
    `Deno.jupyter.display({ "text/html": "<b>html-${i}</b>" }, { raw: true });`,
    `Deno.jupyter.display({ "image/svg+xml": ${JSON.stringify(SVG(`svg-${i}`))} }, { raw: true });`,
    // Updated in the next cell: the runner must apply the update to this output.
    `Deno.jupyter.display({ "text/plain": "upd-${i}-old" }, { raw: true, display_id: "upd-${i}" });`,
    `"result-${i}"`,
  ].join("\n");
}

function updateOf(i: number): string {
  return `Deno.jupyter.display({ "text/plain": "upd-${i}-new" }, ` +
    `{ raw: true, display_id: "upd-${i}", update: true });`;
}

/** Cells 0..CELLS-1 mixed (cell i also updates cell i-1's display), then lib/show's live outputs. */
function fixtureCells(): string[] {
  const cells = Array.from(
    { length: CELLS },
    (_, i) => (i > 0 ? updateOf(i - 1) + "\n" : "") + mixedCell(i),
  );
  cells.push(updateOf(CELLS - 1) + "\n1 + 1");
  cells.push([
    `import { progressBar, streamText } from "${new URL("../lib/show/mod.ts", import.meta.url)}";`,
    `const bar = progressBar("descarga", 50);`,
    `for (let i = 1; i <= 50; i++) { bar.update(i); await new Promise((r) => setTimeout(r, 2)); }`,
    `bar.finish("hecho");`,
    `const out = streamText("respuesta: ");`,
    `for (const t of ["uno", " dos", " tres", " cuatro"]) { out.append(t); await new Promise((r) => setTimeout(r, 30)); }`,
    `out.finish();`,
  ].join("\n"));
  return cells;
}

/** The (output kind, marker) pairs each cell must end with. */
function expectedOf(i: number): string[] {
  return [
    `stream:stdout-${i}`,
    `stream:stderr-${i}`,
    `display_data:md-${i}`,
    `display_data:html-${i}`,
    `display_data:svg-${i}`,
    `display_data:upd-${i}-new`,
    `execute_result:result-${i}`,
  ];
}

function markersOf(outputs: ReturnType<typeof outputText>[], kinds: string[]): string[] {
  const found: string[] = [];
  outputs.forEach((text, k) => {
    for (
      const m of text.matchAll(/(?:stdout|stderr|md|html|svg|result)-\d+|upd-\d+-(?:old|new)/g)
    ) {
      found.push(`${kinds[k]}:${m[0]}`);
    }
  });
  return found.sort();
}

Deno.test("runner keeps every output of a 100-output notebook, 5 runs out of 5", async () => {
  const path = writeTempNotebook(makeNotebook(fixtureCells()));
  const expectedTotal = CELLS * 7 + 1 + 2;
  assert.ok(expectedTotal >= 60);
  for (let run = 1; run <= 5; run++) {
    const { code, stderr, nb } = await execute(path);
    assert.equal(code, NB_EXIT.ok, stderr);
    let total = 0;
    for (let i = 0; i < CELLS; i++) {
      const outs = nb.cells[i].outputs ?? [];
      total += outs.length;
      assert.deepEqual(
        markersOf(outs.map(outputText), outs.map((o) => o.output_type)),
        expectedOf(i).sort(),
        `run ${run}, cell ${i}`,
      );
      // The SVG output really is SVG, under its MIME type.
      const svg = outs.find((o) => o.data?.["image/svg+xml"]);
      assert.match(String(svg?.data?.["image/svg+xml"]), /^<svg xmlns=.*svg-\d+/);
    }
    const last = nb.cells[CELLS].outputs ?? [];
    assert.deepEqual(last.map((o) => o.output_type), ["execute_result"], `run ${run}`);
    assert.equal(outputText(last[0]), "2");
    total += last.length;
    // lib/show's progress bar and streaming text: one output each, updated in place.
    const live = nb.cells[CELLS + 1].outputs ?? [];
    assert.equal(live.length, 2, `run ${run}: ${JSON.stringify(live)}`);
    assert.match(outputText(live[0]), /descarga .*100 % \(50\/50\) hecho/);
    assert.match(outputText(live[0]), /<progress value="50" max="50"/);
    assert.equal(outputText(live[1]), "respuesta: uno dos tres cuatro");
    total += live.length;
    assert.equal(total, expectedTotal, `run ${run}`);
  }
});

Deno.test("runner stops at the first error and names notebook, cell and error", async () => {
  const path = writeTempNotebook(
    makeNotebook(["1", "throw new RangeError('fuera de rango')", "console.log('never')"]),
    "falla.ipynb",
  );
  const { code, stderr, nb } = await execute(path);
  assert.equal(code, NB_EXIT.error);
  assert.match(stderr, /falla\.ipynb, celda 2: RangeError: fuera de rango/);
  assert.equal(nb.cells[2].outputs?.length ?? 0, 0, "cells after the error do not run");
  assert.equal(nb.cells[1].outputs?.[0].output_type, "error");
});

Deno.test("runner enforces the per-cell timeout with its own exit code", async () => {
  const path = writeTempNotebook(makeNotebook(["await new Promise(() => {})"]), "cuelga.ipynb");
  const started = performance.now();
  const { code, stderr } = await execute(path, { timeoutS: 2 });
  assert.equal(code, NB_EXIT.timeout);
  assert.match(stderr, /celda 1: superó el límite de 2 s/);
  assert.ok(performance.now() - started < 60_000, "the hung kernel was killed");
});

Deno.test("runner reports a dead kernel with its own exit code", async () => {
  const path = writeTempNotebook(
    makeNotebook(["console.log('antes')", "Deno.exit(7)"]),
    "muere.ipynb",
  );
  const { code, stderr } = await execute(path);
  assert.equal(code, NB_EXIT.kernelDied);
  assert.match(stderr, /celda 2: el kernel murió/);
});

Deno.test("`deno task nb` on a missing notebook: clear error, usage exit code", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../scripts/nb.ts", import.meta.url).pathname, "no/existe.ipynb"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, NB_EXIT.usage);
  assert.match(new TextDecoder().decode(stderr), /no existe: .*no\/existe\.ipynb/);
});
