#!/usr/bin/env python3
"""Writes logo.png: a 200x72 station bug with straight alpha (a rounded,
translucent badge with three bars), anti-aliased by 4x4 supersampling.
Standard library only; run it again after changing the drawing."""

import struct
import zlib

W, H, S = 200, 72, 4  # size and supersampling


def inside(x, y):
    """Colour (r, g, b, a) of the point (x, y), or None outside."""
    # A rounded rectangle, radius 18.
    r = 18
    cx = min(max(x, r), W - r)
    cy = min(max(y, r), H - r)
    if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
        return None
    # Three white bars, as a signal icon.
    for i, top in enumerate((40, 28, 16)):
        left = 22 + i * 16
        if left <= x < left + 10 and top <= y < 56:
            return (255, 255, 255, 255)
    # A diagonal gradient from deep blue to teal, 85% opaque.
    t = (x / W + y / H) / 2
    return (int(20 + 20 * t), int(60 + 120 * t), int(160 + 60 * t), 217)


def pixel(px, py):
    acc = [0, 0, 0, 0]
    for sy in range(S):
        for sx in range(S):
            c = inside(px + (sx + 0.5) / S, py + (sy + 0.5) / S)
            if c:
                a = c[3]
                for i in range(3):
                    acc[i] += c[i] * a
                acc[3] += a
    n = S * S
    a = acc[3] / n
    if a == 0:
        return (0, 0, 0, 0)
    # Straight alpha: colour averaged by coverage, alpha by area.
    return tuple(round(acc[i] / acc[3]) for i in range(3)) + (round(a),)


rows = b"".join(
    b"\0" + bytes(v for x in range(W) for v in pixel(x, y)) for y in range(H)
)


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


png = (
    b"\x89PNG\r\n\x1a\n"
    + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 6, 0, 0, 0))
    + chunk(b"IDAT", zlib.compress(rows, 9))
    + chunk(b"IEND", b"")
)
with open("logo.png", "wb") as f:
    f.write(png)
