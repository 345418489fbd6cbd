/** Small file helpers shared by the writers. @module */

/** Writes all of `data` to an open file (Deno's write may be partial). */
export async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await file.write(data.subarray(off));
}
