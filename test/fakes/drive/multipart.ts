// A binary-safe multipart parser (RFC 2046 framing, used by multipart/related uploads, RFC 2387).
// Delimiters are CRLF "--" boundary; the CRLF before a delimiter belongs to the delimiter, not to
// the part, so a media part that itself ends in CRLF or contains "--" survives intact.

export interface MultipartPart {
  headers: Record<string, string>;
  body: Buffer;
}

export class MultipartError extends Error {}

/** The value of a parameter in a header like `multipart/related; boundary="abc"`. */
export function headerParam(header: string, name: string): string | undefined {
  const re = new RegExp(`;\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, 'i');
  const m = re.exec(header);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError(`bad part header line: ${line}`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const dash = Buffer.from(`--${boundary}`, 'latin1');
  const delim = Buffer.from(`\r\n--${boundary}`, 'latin1');
  // The first delimiter may open the body (no preamble) or follow a preamble and CRLF.
  let at = 0;
  if (!body.subarray(0, dash.length).equals(dash)) {
    const first = body.indexOf(delim);
    if (first < 0) throw new MultipartError('no boundary found');
    at = first + 2;
  }
  const parts: MultipartPart[] = [];
  for (;;) {
    let pos = at + dash.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts; // close delimiter "--boundary--"
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++; // transport padding
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) throw new MultipartError('boundary not followed by CRLF');
    pos += 2;
    const end = body.indexOf(delim, pos);
    if (end < 0) throw new MultipartError('missing close delimiter');
    const part = body.subarray(pos, end);
    let headerText = '';
    let content: Buffer;
    if (part[0] === 0x0d && part[1] === 0x0a) {
      content = part.subarray(2); // a part without headers
    } else {
      const split = part.indexOf('\r\n\r\n');
      if (split < 0) throw new MultipartError('part headers not terminated');
      headerText = part.subarray(0, split).toString('latin1');
      content = part.subarray(split + 4);
    }
    const headers = parseHeaders(headerText);
    if ((headers['content-transfer-encoding'] ?? '').toLowerCase() === 'base64') {
      content = Buffer.from(content.toString('latin1'), 'base64');
    }
    parts.push({ headers, body: Buffer.from(content) });
    at = end + 2;
  }
}
