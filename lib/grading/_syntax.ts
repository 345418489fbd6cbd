/**
 * Internal: checks that a student's code is a complete TypeScript program ON ITS OWN before
 * it is joined with the tests. Otherwise a cell ending in an open template literal, comment
 * or bracket would swallow the tests that follow it (and could read them as a string, or skip
 * the call that hands the tests their registration capability). The parser is `deno fmt`'s
 * (the same TypeScript parser Deno runs code with), reading stdin; nothing is written.
 *
 * @module
 */

/** A syntax error in the student's code: Deno's message and the line in the cell. */
export interface SyntaxProblem {
  message: string;
  line: number | null;
}

/** Null when `code` parses as a complete TypeScript module, else the first error. */
export async function syntaxProblem(code: string): Promise<SyntaxProblem | null> {
  const dir = await Deno.makeTempDir({ prefix: "kit-grade-syntax-" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--no-config", "--ext=ts", "-"],
      cwd: dir,
      clearEnv: true,
      env: { DENO_DIR: `${dir}/deno_dir`, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(code)).catch(() => {});
    await writer.close().catch(() => {});
    const { success, stderr } = await child.output();
    if (success) return null;
    // deno-lint-ignore no-control-regex
    const text = new TextDecoder().decode(stderr).replace(/\x1b\[[0-9;]*m/g, "");
    const message = /SyntaxError: ([^\n]*)/.exec(text)?.[1] ??
      text.split("\n").find((l) => l.trim())?.replace(/^error:\s*/, "") ?? "error de sintaxis";
    const at = /_stdin\.ts:(\d+):\d+/.exec(text);
    return { message: message.slice(0, 300), line: at ? Number(at[1]) : null };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
