import { describe, it, expect } from 'vitest';
import { renderSvg, standingTrend } from './charts.js';

describe('the standing-access chart', () => {
  it('draws both series even when their counts are equal, with the legend in full', async () => {
    const rows = ['2026-08', '2026-09', '2026-10'].flatMap((period) => [
      { period, standing: 2, kind: 'standing (target 0)' },
      { period, standing: 2, kind: 'break-glass' },
    ]);
    const svg = await renderSvg(standingTrend(rows));
    // One bar per period and series, none drawn over another: six distinct x positions.
    const bars = [
      ...svg.matchAll(/<path aria-label="period: [^"]*; assignments: 2; kind: ([^"]*)"[^>]*d="M(-?[\d.]+),/g),
    ];
    expect(bars).toHaveLength(6);
    expect(new Set(bars.map((b) => b[2])).size).toBe(6);
    expect(bars.filter((b) => b[1] === 'standing (target 0)')).toHaveLength(3);
    expect(svg).toContain('>standing (target 0)</text>');
    expect(svg).toContain('>break-glass</text>');
    expect(svg).not.toContain('…');
  });
});
