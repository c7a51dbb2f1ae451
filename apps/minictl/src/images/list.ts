import type { ImageRecord } from '@minictl/rootfs';

/** One image as `minictl images --json` prints it. */
export interface ImageRow {
  id: string;
  names: string[];
  format: ImageRecord['format'];
  platform?: string;
  layers: number;
  size: number;
  imported: string;
  source: string;
}

export function rowsOf(records: ImageRecord[], names: Record<string, string>): ImageRow[] {
  return records.map((r) => ({
    id: r.id,
    names: Object.keys(names).filter((n) => names[n] === r.id).sort(),
    format: r.format,
    platform: r.platform,
    layers: r.layers,
    size: r.size,
    imported: r.imported,
    source: r.source,
  }));
}

/** The table: one line per name (an unnamed image shows <none>), newest first. */
export function formatTable(rows: ImageRow[], now = Date.now()): string {
  const lines = [['NAME', 'TAG', 'IMAGE ID', 'FORMAT', 'SIZE', 'IMPORTED']];
  for (const r of [...rows].reverse()) {
    const refs = r.names.length ? r.names : ['<none>:<none>'];
    for (const ref of refs) {
      const colon = ref.lastIndexOf(':');
      lines.push([ref.slice(0, colon), ref.slice(colon + 1), r.id.slice(0, 12), r.format, formatSize(r.size), ago(r.imported, now)]);
    }
  }
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return `${lines.map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n')}\n`;
}

export function formatSize(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

function ago(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} seconds ago`;
  if (s < 3600) return `${Math.round(s / 60)} minutes ago`;
  if (s < 86400) return `${Math.round(s / 3600)} hours ago`;
  return `${Math.round(s / 86400)} days ago`;
}
