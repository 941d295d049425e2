// Credential scrubbing for anything git says. Remote URLs may carry a token in their userinfo
// (http://oauth2:TOKEN@host/g/a.git); no message that leaves src/git may contain it.

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#'"<>]*)@/gi;

/** Replaces the userinfo of every URL in `text` (`scheme://user:secret@host` → `scheme://***@host`). */
export function redactUrl(text: string): string {
  return text.replace(URL_USERINFO, (_match, scheme: string) => `${scheme}***@`);
}

/** The literal secrets (user and password, raw and percent-decoded) carried by a remote URL. */
export function urlSecrets(remoteUrl: string): string[] {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(remoteUrl);
  if (!m) return [];
  const userinfo = m[1];
  const colon = userinfo.indexOf(':');
  const parts = colon >= 0 ? [userinfo.slice(0, colon), userinfo.slice(colon + 1), userinfo] : [userinfo];
  const out = new Set<string>();
  for (const part of parts) {
    out.add(part);
    try {
      out.add(decodeURIComponent(part));
    } catch {
      // not valid percent-encoding: the raw form is enough
    }
  }
  // Very short values ("a", "oauth2" is fine) would shred ordinary words; keep what can be a secret.
  return [...out].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

/** redactUrl plus removal of the known secrets wherever they appear. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = redactUrl(text);
  for (const secret of secrets) {
    if (secret) out = out.split(secret).join('***');
  }
  return out;
}
