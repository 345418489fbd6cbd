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

/**
 * Pids of the processes whose command line matches `pattern` and whose environment holds every
 * `vars` entry (e.g. a test's own OLLAMA_HOST): only the test's own processes, never another
 * test's or another user's on the same machine (their /proc/<pid>/environ cannot be read).
 */
export async function pidsMatchingEnv(
  pattern: string,
  vars: Record<string, string>,
): Promise<number[]> {
  const wanted = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
  const mine: number[] = [];
  for (const pid of await pidsMatching(pattern)) {
    let environ: string[];
    try {
      environ = (await Deno.readTextFile(`/proc/${pid}/environ`)).split("\0");
    } catch {
      continue; // gone, or not ours
    }
    if (wanted.every((w) => environ.includes(w))) mine.push(pid);
  }
  return mine;
}
