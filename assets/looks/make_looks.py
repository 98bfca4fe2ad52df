#!/usr/bin/env python3
"""Writes the looks in this folder as 17-point .cube files (Adobe/Resolve
format: red changes fastest). Run it again after changing a formula; the
.cube files are what Reel reads."""

SIZE = 17


def clamp(v):
    return min(1.0, max(0.0, v))


def luma(r, g, b):
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def warm(r, g, b):
    # A gentle tungsten warmth: red lifted, blue lowered, midtones kept.
    return (clamp(r ** 0.92 * 1.02), clamp(g ** 0.98), clamp(b ** 1.08 * 0.94))


def mono(r, g, b):
    # Black and white with a soft S-curve.
    y = luma(r, g, b)
    y = y * y * (3 - 2 * y) * 0.3 + y * 0.7
    return (y, y, y)


def teal_orange(r, g, b):
    # Shadows towards teal, highlights towards orange, skin kept warm.
    y = luma(r, g, b)
    shadow, light = (1 - y) * 0.08, y * 0.08
    return (clamp(r - shadow + light), clamp(g + shadow * 0.3), clamp(b + shadow - light))


def write(name, title, look):
    with open(f"{name}.cube", "w") as f:
        f.write(f'TITLE "{title}"\n# Made by make_looks.py for Reel.\n')
        f.write(f"LUT_3D_SIZE {SIZE}\nDOMAIN_MIN 0.0 0.0 0.0\nDOMAIN_MAX 1.0 1.0 1.0\n")
        n = SIZE - 1
        for bi in range(SIZE):
            for gi in range(SIZE):
                for ri in range(SIZE):
                    out = look(ri / n, gi / n, bi / n)
                    f.write(" ".join(f"{c:.6f}" for c in out) + "\n")


write("warm", "Warm", warm)
write("mono", "Mono", mono)
write("teal-orange", "Teal and orange", teal_orange)
