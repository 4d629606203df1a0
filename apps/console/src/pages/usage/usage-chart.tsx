import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { UsagePeriod } from '../../api/types';

/** The series drawn, in the order of the legend; colours come from the stylesheet's palette. */
export const CHART_SERIES = [
  { key: 'sent', label: 'Sent', color: '#2563eb' },
  { key: 'delivered', label: 'Delivered', color: '#0d9488' },
  { key: 'verified', label: 'Verified', color: '#16a34a' },
  { key: 'failed', label: 'Failed', color: '#dc2626' },
] as const satisfies readonly { key: keyof UsagePeriod; label: string; color: string }[];

/**
 * Bars of one series beside the others in each period: `index` of `count` in the group. uPlot's
 * own bar paths stack every series on one spot, which hides the smaller numbers behind the larger.
 */
function groupedBars(index: number, count: number): uPlot.Series.PathBuilder {
  return (u, seriesIdx, idx0, idx1) => {
    const path = new Path2D();
    const xs = u.data[0];
    const ys = u.data[seriesIdx];
    const slot = u.bbox.width / Math.max(xs.length, 1);
    const group = slot * 0.8;
    const bar = group / count;
    const base = u.valToPos(0, 'y', true);
    for (let i = idx0; i <= idx1; i++) {
      const y = ys[i];
      if (y === null || y === undefined) continue;
      const left = u.valToPos(xs[i], 'x', true) - group / 2 + index * bar;
      const top = u.valToPos(y, 'y', true);
      path.rect(left, top, bar * 0.9, base - top);
    }
    return { stroke: path, fill: path };
  };
}

/**
 * Usage per period as grouped bars (uPlot on a canvas), one group per period. A canvas says
 * nothing to a screen reader: the figure carries an accessible name, and the table beside it
 * holds the same numbers. uPlot positions its parts through the CSSOM (element.style), which a
 * strict CSP allows.
 */
export function UsageChart(props: { periods: UsagePeriod[]; name: string }) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const periods = props.periods;
    // Periods on an ordinal axis: a day, a month and a year each take one slot, gaps or not.
    const x = periods.map((_, i) => i);
    const data: uPlot.AlignedData = [x, ...CHART_SERIES.map((s) => periods.map((p) => p[s.key] as number))];
    const width = () => Math.max(el.clientWidth, 280);
    const plot = new uPlot(
      {
        width: width(),
        height: 260,
        legend: { show: false },
        cursor: { show: false },
        scales: {
          x: { time: false, range: () => [-0.5, periods.length - 0.5] },
          y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] },
        },
        axes: [
          {
            stroke: '#475569',
            grid: { show: false },
            splits: () => x,
            values: (_u, splits) => splits.map((v) => periods[v]?.period ?? ''),
          },
          { stroke: '#475569', grid: { stroke: '#e2e8f0' } },
        ],
        series: [
          {},
          ...CHART_SERIES.map((s, i) => ({
            label: s.label,
            stroke: s.color,
            fill: s.color,
            width: 0,
            points: { show: false },
            paths: groupedBars(i, CHART_SERIES.length),
          })),
        ],
      },
      data,
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 260 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.periods]);
  return (
    <figure class="chart">
      <div ref={container} role="img" aria-label={props.name} class="chart-canvas" />
      <figcaption>
        <ul class="legend" aria-hidden="true">
          {CHART_SERIES.map((s) => (
            <li key={s.key}>
              <span class={`swatch swatch-${s.key}`} />
              {s.label}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
