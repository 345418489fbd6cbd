/** The forge's one half-precision decoder against the runtime's own (DataView.getFloat16). */
import assert from "node:assert/strict";
import { halfToFloat } from "../lib/forge/quantize.ts";

Deno.test("halfToFloat decodes all 65 536 half-precision patterns as DataView.getFloat16 does", () => {
  const view = new DataView(new ArrayBuffer(2));
  for (let h = 0; h < 0x10000; h++) {
    view.setUint16(0, h, true);
    const want = view.getFloat16(0, true);
    const got = halfToFloat(h);
    assert.ok(
      Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)),
      `0x${h.toString(16)}`,
    );
  }
});
