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
 * Usage per period as bars (uPlot on a canvas). A canvas says nothing to a screen reader: the
 * figure carries an accessible name, and the table beside it holds the same numbers.
 * uPlot positions its parts through the CSSOM (element.style), which a strict CSP allows.
 */
export function UsageChart(props: { periods: UsagePeriod[]; name: string }) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const x = props.periods.map((p) => Date.parse(p.startTime) / 1000);
    const data: uPlot.AlignedData = [x, ...CHART_SERIES.map((s) => props.periods.map((p) => p[s.key] as number))];
    const bars = uPlot.paths.bars?.({ size: [0.8, 40], gap: 1 });
    const width = () => Math.max(el.clientWidth, 280);
    const plot = new uPlot(
      {
        width: width(),
        height: 260,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [{ stroke: '#475569' }, { stroke: '#475569', grid: { stroke: '#e2e8f0' } }],
        series: [
          {},
          ...CHART_SERIES.map((s) => ({
            label: s.label,
            stroke: s.color,
            fill: `${s.color}cc`,
            paths: bars,
            width: 1,
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
