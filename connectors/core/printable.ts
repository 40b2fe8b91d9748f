/**
 * Text from outside (file names, column names of an unreadable file, unknown field names) made safe
 * to print in a message or a terminal: control characters and lone surrogates escaped (\x00,
 * \u{d800}), cut to `max` characters. Never prints raw bytes of a binary file.
 */
export function printable(s: string, max = 60): string {
  let out = '';
  let n = 0;
  for (const ch of s) {
    if (n >= max) return `${out}…`;
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += `\\u{${cp.toString(16)}}`;
    else if (cp === 0xfffd) out += '?';
    else out += ch;
    n++;
  }
  return out;
}
