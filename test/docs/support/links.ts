// Relative links and anchors of Markdown files, parsed with markdown-it (code blocks are not links).
import fs from 'node:fs';
import path from 'node:path';
import MarkdownIt from 'markdown-it';

const md = new MarkdownIt({ html: true });
type Token = MarkdownIt.Token;

/** GitHub's heading anchor: lower case, punctuation dropped, spaces as hyphens; repeats get -1, -2... */
export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const tokens = md.parse(markdown, {});
  tokens.forEach((t, i) => {
    if (t.type !== 'heading_open') return;
    const text = (tokens[i + 1]?.children ?? []).map((c) => c.content).join('');
    const base = text.trim().toLowerCase().replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n ? `${base}-${n}` : base);
  });
  return anchors;
}

function hrefs(tokens: Token[]): string[] {
  return tokens.flatMap((t) => [
    ...(t.type === 'link_open' ? [String(t.attrGet('href') ?? '')] : []),
    ...(t.children ? hrefs(t.children) : []),
  ]);
}

/** Every relative link of `file` that does not resolve to an existing file (and heading, for `#anchor`s into Markdown). */
export function brokenLinks(file: string): string[] {
  const problems: string[] = [];
  for (const href of hrefs(md.parse(fs.readFileSync(file, 'utf8'), {}))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // https:, mailto: ...
    const [target = '', anchor] = href.split('#');
    const resolved = target ? path.resolve(path.dirname(file), decodeURIComponent(target)) : file;
    if (!fs.existsSync(resolved)) {
      problems.push(`${href}: no such file`);
    } else if (anchor && resolved.endsWith('.md') && !anchorsOf(fs.readFileSync(resolved, 'utf8')).has(anchor)) {
      problems.push(`${href}: no heading with that anchor`);
    }
  }
  return problems;
}

/** The Markdown files under `dir`, recursively. */
export function markdownFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return markdownFiles(p);
    return e.name.endsWith('.md') ? [p] : [];
  });
}
