import uPlot from 'uplot';
import type { TimelineMarker, TrafficSample, TrafficSource } from '../view.js';

const SERIES: ReadonlyArray<{ source: TrafficSource; field: 'requestsPerSecond' | 'failedPerSecond'; label: string; color: string; dash?: number[] }> = [
  { source: 'alb', field: 'requestsPerSecond', label: 'ALB requests/s', color: '--c-requests' },
  { source: 'alb', field: 'failedPerSecond', label: 'ALB 5XX/s', color: '--c-failed' },
  { source: 'cloudwatch', field: 'requestsPerSecond', label: 'ALB requests/s (CloudWatch)', color: '--c-requests' },
  { source: 'cloudwatch', field: 'failedPerSecond', label: 'ALB 5XX/s (CloudWatch)', color: '--c-failed' },
  { source: 'load', field: 'requestsPerSecond', label: 'load requests/s', color: '--c-load', dash: [6, 4] },
  { source: 'load', field: 'failedPerSecond', label: 'load failed/s', color: '--c-load-failed', dash: [6, 4] },
];

const cssColor = (name: string): string => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

/**
 * Traffic samples as uPlot's aligned columns: x in seconds, one column per series, null where a series has no
 * sample at that time (the series span the gaps). Only the series with data are kept.
 */
export function alignTraffic(samples: readonly TrafficSample[]): { series: typeof SERIES[number][]; data: uPlot.AlignedData } {
  const used = SERIES.filter((s) => samples.some((x) => x.source === s.source));
  const times = [...new Set(samples.map((s) => s.at))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const columns = used.map(() => times.map((): number | null => null));
  for (const sample of samples) {
    used.forEach((s, c) => {
      if (s.source === sample.source) columns[c]![index.get(sample.at)!] = sample[s.field];
    });
  }
  return { series: [...used], data: [times.map((t) => t / 1000), ...columns] as uPlot.AlignedData };
}

/** Draws each marker as a vertical line in its kind's colour, with the kind's initial at the top. */
function markerPlugin(markers: () => readonly TimelineMarker[]): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx, bbox } = u;
          const [min, max] = [u.scales.x!.min!, u.scales.x!.max!];
          ctx.save();
          ctx.lineWidth = 2 * devicePixelRatio;
          ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
          ctx.textAlign = 'center';
          for (const m of markers()) {
            const t = m.at / 1000;
            if (t < min || t > max) continue;
            const x = Math.round(u.valToPos(t, 'x', true));
            ctx.strokeStyle = ctx.fillStyle = cssColor(`--c-${m.kind}`);
            ctx.setLineDash(m.kind === 'launch' || m.kind === 'scaling' ? [4 * devicePixelRatio, 3 * devicePixelRatio] : []);
            ctx.beginPath();
            ctx.moveTo(x, bbox.top);
            ctx.lineTo(x, bbox.top + bbox.height);
            ctx.stroke();
            ctx.fillText(m.kind[0]!.toUpperCase(), x, bbox.top - 3 * devicePixelRatio);
          }
          ctx.restore();
        },
      ],
    },
  };
}

/** The timeline chart: traffic over the window with the fleet's events; rebuilt when its series or colours change. */
export class TimelineChart {
  private plot?: uPlot;
  private key = '';
  private markers: readonly TimelineMarker[] = [];
  private range: [number, number] = [0, 1];

  constructor(private readonly container: HTMLElement) {
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(container);
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
      this.key = '';
    });
  }

  update(samples: readonly TrafficSample[], markers: readonly TimelineMarker[], range: [number, number]): void {
    this.markers = markers;
    this.range = [range[0] / 1000, range[1] / 1000];
    const { series, data } = alignTraffic(samples);
    const key = `${series.map((s) => s.label).join('|')}|${matchMedia('(prefers-color-scheme: dark)').matches}`;
    if (!this.plot || key !== this.key) {
      this.plot?.destroy();
      this.plot = new uPlot(this.options(series), data, this.container);
      this.key = key;
      return;
    }
    this.plot.setData(data);
  }

  private size(): { width: number; height: number } {
    const width = Math.max(240, this.container.clientWidth);
    return { width, height: width < 560 ? 200 : 240 };
  }

  private options(series: typeof SERIES[number][]): uPlot.Options {
    const axis = { stroke: cssColor('--muted'), grid: { stroke: cssColor('--c-grid'), width: 1 }, ticks: { stroke: cssColor('--c-grid'), width: 1 } };
    return {
      ...this.size(),
      padding: [16, 8, 0, 0],
      scales: { x: { time: true, range: () => this.range }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
      axes: [axis, { ...axis, label: 'per second', size: 50 }],
      series: [
        { label: 'time', value: (_u, v) => (v == null ? '' : new Date(v * 1000).toLocaleTimeString()) },
        ...series.map((s) => ({
          label: s.label,
          stroke: cssColor(s.color),
          width: 2,
          spanGaps: true,
          points: { show: false },
          ...(s.dash ? { dash: s.dash } : {}),
          value: (_u: uPlot, v: number | null) => (v == null ? '–' : v.toFixed(1)),
        })),
      ],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      plugins: [markerPlugin(() => this.markers)],
    };
  }
}
