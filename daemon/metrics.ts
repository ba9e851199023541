/**
 * Counters and a latency summary for `GET /v1/metrics`, rendered in the Prometheus text
 * exposition format. Kept in memory; a restart starts from zero, as Prometheus expects.
 */
type Labels = Record<string, string>;

interface Series {
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: Map<string, number>;
}

const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  // The common case (one label, a plain value) without sorting and escaping.
  if (keys.length === 1 && !/[\\"\n]/.test(labels[keys[0]])) return `{${keys[0]}="${labels[keys[0]]}"}`;
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k].replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

export class Metrics {
  private readonly series = new Map<string, Series>();
  private readonly gauges = new Map<string, () => number>();

  private get(name: string, help: string, type: Series['type']): Series {
    let s = this.series.get(name);
    if (!s) {
      s = { help, type, values: new Map() };
      this.series.set(name, s);
    }
    return s;
  }

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    const s = this.get(name, help, 'counter');
    const k = labelKey(labels);
    s.values.set(k, (s.values.get(k) ?? 0) + by);
  }

  /** Records a duration in seconds into a histogram. */
  observe(name: string, help: string, seconds: number, labels: Labels = {}): void {
    const s = this.get(name, help, 'histogram');
    for (const le of LATENCY_BUCKETS_S) {
      if (seconds <= le) {
        const k = labelKey({ ...labels, le: String(le) });
        s.values.set(k, (s.values.get(k) ?? 0) + 1);
      }
    }
    const inf = labelKey({ ...labels, le: '+Inf' });
    s.values.set(inf, (s.values.get(inf) ?? 0) + 1);
    const base = labelKey(labels);
    s.values.set(`_sum${base}`, (s.values.get(`_sum${base}`) ?? 0) + seconds);
    s.values.set(`_count${base}`, (s.values.get(`_count${base}`) ?? 0) + 1);
  }

  /** A gauge read at scrape time. */
  gauge(name: string, help: string, read: () => number): void {
    this.get(name, help, 'gauge');
    this.gauges.set(name, read);
  }

  render(): string {
    const out: string[] = [];
    for (const [name, s] of this.series) {
      out.push(`# HELP ${name} ${s.help}`, `# TYPE ${name} ${s.type}`);
      if (s.type === 'gauge') {
        out.push(`${name} ${this.gauges.get(name)?.() ?? 0}`);
        continue;
      }
      for (const [k, v] of s.values) {
        if (s.type === 'histogram') {
          if (k.startsWith('_sum')) out.push(`${name}_sum${k.slice(4)} ${v}`);
          else if (k.startsWith('_count')) out.push(`${name}_count${k.slice(6)} ${v}`);
          else out.push(`${name}_bucket${k} ${v}`);
        } else out.push(`${name}${k} ${v}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
}
