/** Lowercase hex of `bytes` random bytes from the platform CSPRNG (a master API key is 16 bytes → 32 digits). */
export function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  let out = '';
  for (const b of buf) out += b.toString(16).padStart(2, '0');
  return out;
}

/** A secret for display: bullets and its last four characters; '' stays ''. */
export function maskSecret(secret: string): string {
  if (secret.length <= 4) return '•'.repeat(secret.length);
  return `${'•'.repeat(Math.min(12, secret.length - 4))}${secret.slice(-4)}`;
}
