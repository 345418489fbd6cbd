import { llamaCppSuite } from "./lib/bench/llama_cpp_suite.ts";
import { llamaCppTable } from "./lib/bench/llama_cpp_report.ts";
const rows = await llamaCppSuite({ quick: false, repeats: 2, log: (l) => console.error(l) }, "tiny-random");
console.log(llamaCppTable(rows).markdown);
console.log(JSON.stringify(rows.map(r => [r.kit.decode, r.llama.decode, r.llama1.decode, r.promptTokens])));
