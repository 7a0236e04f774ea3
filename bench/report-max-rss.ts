// Preloaded into the process under benchmark: writes its peak resident set size (bytes) to
// BENCH_MAX_RSS_FILE when it exits, so the bench measures the CLI process itself.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.BENCH_MAX_RSS_FILE)
    writeFileSync(process.env.BENCH_MAX_RSS_FILE, String(process.resourceUsage().maxRSS * 1024));
});
