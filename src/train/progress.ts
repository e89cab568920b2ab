// Progress for long work: a live bar with rate and ETA on a terminal, one line per epoch otherwise
// (CI logs, files), so long runs always show where they are.
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  stop(summary?: string): void;
}

export interface ProgressOptions {
  total: number;
  label: string;
  unit?: string;
  /** true / false, or 'auto' (a bar when stderr is a terminal). */
  bar?: boolean | 'auto';
  log?: (line: string) => void;
}

export function createProgress(o: ProgressOptions): Progress {
  const useBar = o.bar === 'auto' || o.bar === undefined ? Boolean(process.stderr.isTTY) : o.bar;
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const started = Date.now();
  if (!useBar) {
    return {
      update() {},
      stop(summary) {
        if (summary) log(`${o.label}: ${summary} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      },
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${o.label} {bar} {percentage}% | {value}/{total} ${o.unit ?? ''} | {rate}/s | ETA {eta_formatted} {info}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(o.total, 0, { rate: '0', info: '' });
  return {
    update(done, fields = {}) {
      const secs = (Date.now() - started) / 1000;
      const info = Object.entries(fields).map(([k, v]) => `${k} ${typeof v === 'number' ? v.toFixed(4) : v}`).join(' ');
      bar.update(done, { rate: secs > 0 ? Math.round(done / secs).toString() : '0', info });
    },
    stop(summary) {
      bar.stop();
      if (summary) log(`${o.label}: ${summary}`);
    },
  };
}
