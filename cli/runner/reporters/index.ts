/**
 * The reporters a finished report can be rendered by, by name: what `merge-reports --reporter`
 * offers. Each loads its module only when chosen. A new reporter is one entry here.
 */
import type { SuiteReport } from '../report.js';
import type { Palette } from './human.js';

/** Renders the reports of one run (one per suite) as the text of a report file or of stdout. */
export type RenderReports = (reports: SuiteReport[], palette: Palette) => string;

export const REPORT_RENDERERS: Record<string, () => Promise<RenderReports>> = {
  human: async () => {
    const human = await import('./human.js');
    return (reports, c) =>
      reports.map((r) => human.renderHuman(r, c)).join('\n') +
      (reports.length > 1 ? human.humanTotal(reports, c) : '');
  },
  json: async () => {
    const { renderJson } = await import('./json.js');
    return (reports) => renderJson(reports);
  },
  junit: async () => {
    const { renderJunit } = await import('./junit.js');
    return (reports) => renderJunit(reports);
  },
  html: async () => {
    const { renderHtml } = await import('./html.js');
    return (reports) => renderHtml(reports);
  },
};

/** The reporter names, in the order help lists them. */
export const REPORT_NAMES = Object.keys(REPORT_RENDERERS);
