/** Test helper: which processes are running, by command line. */

/**
 * Pids of the processes whose command line matches `pattern` (`pgrep -f`, an extended
 * regular expression).
 */
export async function pidsMatching(pattern: string): Promise<number[]> {
  const { stdout } = await new Deno.Command("pgrep", { args: ["-f", pattern], stdout: "piped" })
    .output();
  return new TextDecoder().decode(stdout).split("\n").filter(Boolean).map(Number);
}
