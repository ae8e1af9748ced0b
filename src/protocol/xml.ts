/** The little XML writing the Query protocol needs: escaped text and elements, no library. */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  // As SQS does: a literal CR would be normalised to LF by the client's XML parser (and break the MD5 of a body).
  '\r': '&#xD;',
};

/** Characters XML 1.0 cannot carry at all, not even as character references (lone surrogates included). */
const NOT_XML = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/**
 * Escapes text for an XML text node the way SQS does (`"` and CR included). A character XML 1.0 cannot carry
 * becomes U+FFFD: otherwise one such character (an error message echoing its input, say) would make the
 * whole answer unreadable to the client's parser.
 */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML, '\uFFFD').replace(/[&<>"\r]/g, (c) => ESCAPES[c] ?? c);
}

/** `<name>inner</name>`, or `<name/>` when empty. `inner` is markup: escape text before passing it. */
export function element(name: string, inner: string): string {
  return inner === '' ? `<${name}/>` : `<${name}>${inner}</${name}>`;
}

/** An element holding escaped text; empty text still gets an open and a close tag. */
export function textElement(name: string, text: string): string {
  return `<${name}>${escapeXml(text)}</${name}>`;
}
