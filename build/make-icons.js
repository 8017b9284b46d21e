// Draws RelayDesk's icons into build/icons (no image tools needed): `node build/make-icons.js`.
//   16…1024 px app icons (NxN.png, the layout electron-builder reads for Linux; icon.png = 512 for
//   macOS/Windows), tray.png/tray@2x.png (colored, Linux/Windows) and trayTemplate.png/@2x
//   (black on transparent: macOS tints template images for the menu bar).
// The mark: a rounded square with two relay nodes joined by a link, the right one solid.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const out = join(dirname(fileURLToPath(import.meta.url)), 'icons');

// ---- a minimal PNG encoder: 8-bit RGBA, no interlace, filter 0 on every row -------------------
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** rgba: Uint8Array of size*size*4. */
export function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    Buffer.from(rgba.buffer, rgba.byteOffset + y * size * 4, size * 4).copy(raw, y * (size * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- the drawing: shapes in unit coordinates, 4×4 supersampling ---------------------------------
const inRoundRect = (x, y, inset, r) => {
  const lo = inset;
  const hi = 1 - inset;
  if (x < lo || x > hi || y < lo || y > hi) return false;
  const cx = Math.min(Math.max(x, lo + r), hi - r);
  const cy = Math.min(Math.max(y, lo + r), hi - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const dist = (x, y, cx, cy) => Math.hypot(x - cx, y - cy);

/** The glyph at scale `s` around the center: ring – link – dot. */
function inGlyph(x, y, s) {
  const c = 0.5;
  const left = c - 0.24 * s;
  const right = c + 0.24 * s;
  const r = 0.12 * s;
  const ring = dist(x, y, left, c) <= r && dist(x, y, left, c) >= r * 0.52;
  const dot = dist(x, y, right, c) <= r;
  const link = x >= left + r * 0.9 && x <= right - r * 0.9 && Math.abs(y - c) <= 0.035 * s;
  return ring || dot || link;
}

const lerp = (a, b, t) => Math.round(a + (b - a) * t);
const FROM = [79, 70, 229]; // indigo-600
const TO = [6, 182, 212]; // cyan-500

function draw(size, kind) {
  const px = new Uint8Array(size * size * 4);
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let pxi = 0; pxi < size; pxi++) {
      let bg = 0;
      let fg = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = (pxi + (sx + 0.5) / n) / size;
          const y = (py + (sy + 0.5) / n) / size;
          if (kind === 'template') { if (inGlyph(x, y, 1.75)) fg++; continue; }
          const inset = kind === 'tray' ? 0 : 0.08;
          if (inRoundRect(x, y, inset, kind === 'tray' ? 0.24 : 0.2)) {
            bg++;
            if (inGlyph(x, y, kind === 'tray' ? 1.35 : 1)) fg++;
          }
        }
      }
      const i = (py * size + pxi) * 4;
      const samples = n * n;
      if (kind === 'template') {
        px.set([0, 0, 0, Math.round((255 * fg) / samples)], i);
        continue;
      }
      // Diagonal gradient, the glyph in white on top.
      const t = (pxi + py) / (2 * size);
      const base = FROM.map((v, k) => lerp(v, TO[k], t));
      const f = bg ? fg / bg : 0;
      px.set([...base.map((v) => lerp(v, 255, f)), Math.round((255 * bg) / samples)], i);
    }
  }
  return encodePng(size, px);
}

export function makeIcons(dir = out) {
  mkdirSync(dir, { recursive: true });
  const written = [];
  const write = (name, png) => { writeFileSync(join(dir, name), png); written.push(name); };
  for (const size of [16, 32, 48, 64, 128, 256, 512, 1024]) write(`${size}x${size}.png`, draw(size, 'app'));
  write('icon.png', draw(512, 'app'));
  write('tray.png', draw(16, 'tray'));
  write('tray@2x.png', draw(32, 'tray'));
  write('trayTemplate.png', draw(16, 'template'));
  write('trayTemplate@2x.png', draw(32, 'template'));
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`wrote ${makeIcons().join(', ')} to ${out}`);
}
