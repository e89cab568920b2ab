// Results files, the terminal table, plots and the HTML report.
export { writeSummary, readSummary, summaryFile, defaultVersions, type SummaryFile, type SummaryMeta } from './summary.js';
export { formatTable } from './table.js';
export { headline, certifierHeadline } from './headline.js';
export { certifiedAccuracyPlot, certifiedAccuracyCurve, curvesFromSummary, radiusHistogramPlot, poisonRatePlot, type Series, type RatePoint } from './plots.js';
export { topVoteShare, voteShareHistogram, voteShareThresholds, voteSharePlot, smoothingSigma, type VoteShareBin, type VoteShareHistogram } from './vote-share.js';
export { imageToPng, pngDataUri, exampleGridSvg, cleanTriggeredGrid, outcomeAt, answerText, type ImageData, type Example, type Outcome } from './images.js';
export { renderHtmlReport, writeHtmlReport, type HtmlReportInput, type ReportPlot, type CertificateSample } from './html.js';
export { reproduceMarkdown, reproduceHtml, seedRow, availabilityCurves, type AvailabilityCurve, type ReproduceRow, type SeedFigures, type FigureSpread } from './reproduce.js';
export { writeReport, type ReportInput, type CertificateSets } from './report.js';
export { renderVegaLite, inlineSvg } from './vega.js';
export { formatDefensesTable, formatDefendedTable, defensesHtml, defenseFinding } from './defenses.js';
export { defenseGridMarkdown, defenseGridHtml, type DefenseGridRow, type GridFigures } from './defense-grid.js';
