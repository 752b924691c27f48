// axe.js: the accessibility check of a page with axe-core.
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// axeViolations runs axe-core on the page as it is now, against WCAG 2.2 A
// and AA and axe's best practices, and returns the violations of the given
// impacts (serious and critical unless told). axe is evaluated through the
// DevTools protocol, which the console's Content-Security-Policy does not
// block, so the page is checked as users get it.
export async function axeViolations(page, { impacts = ['serious', 'critical'] } = {}) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    }),
  );
  return result.violations.filter((v) => impacts.includes(v.impact));
}

// describeViolations makes axe's findings readable in a test failure.
export function describeViolations(violations) {
  return violations
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.helpUrl})\n` +
      v.nodes.slice(0, 5).map((n) => `    ${n.target.join(' ')}: ${n.failureSummary.replace(/\n/g, ' ')}`).join('\n'))
    .join('\n');
}
