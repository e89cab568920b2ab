// Renders a Vega-Lite spec to an SVG string in Node, headless: no browser, no canvas (Vega's
// 'none' renderer estimates text widths instead of measuring them).
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export const PLOT_FONT = 'Helvetica, Arial, sans-serif';

export async function renderVegaLite(spec: TopLevelSpec): Promise<string> {
  const withDefaults = {
    background: 'white',
    ...spec,
    config: {
      font: PLOT_FONT,
      axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e5e5e5' },
      legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 400 },
      title: { fontSize: 14, anchor: 'start' },
      ...(spec as { config?: object }).config,
    },
  } as TopLevelSpec;
  const view = new View(parse(compile(withDefaults).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** An SVG to inline in HTML: the XML prolog and namespace declarations are not needed there. */
export const inlineSvg = (svg: string): string =>
  svg.replace(/<\?xml[^>]*>\s*/, '').replace(/\s+xmlns(:\w+)?="[^"]*"/g, '');
