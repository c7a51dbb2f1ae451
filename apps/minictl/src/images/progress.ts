import { isatty } from 'node:tty';
import type { ImportProgress } from '@minictl/rootfs';

/**
 * A one-line progress bar on stderr for imports: bytes read of the total, members written,
 * rate. Only on a terminal and without --quiet; otherwise nothing at all.
 */
export function progressBar(label: string, quiet = false, to?: NodeJS.WriteStream): {
  update: (p: ImportProgress) => void;
  done: () => void;
} {
  // isatty(2), not process.stderr.isTTY: a cached image needs no bar, nor stderr's stream.
  if (quiet || !(to ? to.isTTY : isatty(2))) return { update: () => {}, done: () => {} };
  const stream = to ?? process.stderr;
  const started = Date.now();
  let drawn = false;
  return {
    update: (p) => {
      drawn = true;
      stream.write(`\r\x1b[K${renderProgress(label, p, (Date.now() - started) / 1000, stream.columns ?? 80)}`);
    },
    done: () => {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}

/** The bar's text: "importing x.tar [#####.....] 45% 54.1/120.0 MB 3210 entries 98.2 MB/s". */
export function renderProgress(label: string, p: ImportProgress, seconds: number, columns: number): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  const fraction = p.total > 0 ? Math.min(1, p.bytes / p.total) : 0;
  const width = 20;
  const filled = Math.round(fraction * width);
  const rate = seconds > 0 ? `${mb(p.bytes / seconds)} MB/s` : '';
  const phase = p.phase === 'layers' ? 'layers' : label;
  const line = `importing ${phase} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(fraction * 100)}% ${mb(p.bytes)}/${mb(p.total)} MB ${p.entries} entries ${rate}`;
  return line.length > columns - 1 ? line.slice(0, columns - 1) : line;
}
