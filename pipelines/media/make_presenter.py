"""Makes presenter_green.mp4: a presenter on an unevenly lit green screen,
10 s at 25 fps, 1280x720, for pipelines/dhuman.toml.

The presenter is astronaut.png (public domain, see LICENSES.md) behind a
head-and-shoulders matte with soft edges and hair-like strands, swaying
gently, with a little green spill near the edges: the same construction
as the keying test's ground truth (tests/all/dhuman.rs). Run once with
numpy and Pillow, and ffmpeg; the clip is committed.
"""
import subprocess
import numpy as np
from PIL import Image

W, H, FRAMES = 1280, 720, 250
rng = np.random.default_rng(7)
here = __file__.rsplit("/", 1)[0]
portrait = np.asarray(Image.open(f"{here}/astronaut.png").convert("RGB").resize((720, 720), Image.LANCZOS)).astype(np.float32)
F = np.zeros((H, W, 3), np.float32)
F[:, 280:1000] = portrait
yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
head = ((xx - 640) / 170) ** 2 + ((yy - 300) / 210) ** 2
body = (yy > 470) & (np.abs(xx - 640) < 150 + (yy - 470) * 1.3) & (xx >= 282) & (xx < 998)
# soft edges: a 1.5 px ramp on the head's ellipse, hard-ish body edges softened
a = np.clip((1 - head) * 60, 0, 1)
a = np.maximum(a, body.astype(np.float32))
hair = np.zeros((H, W), np.float32)
for _ in range(160):
    t0 = rng.uniform(-2.6, -0.5)
    x, y = 640 + 170 * np.cos(t0), 300 + 210 * np.sin(t0)
    ang, length, op, bend = t0 + rng.normal(0, 0.35), rng.uniform(30, 110), rng.uniform(0.35, 0.95), rng.normal(0, 0.012)
    for _ in range(int(length * 2)):
        ang += bend
        x += 0.5 * np.cos(ang); y += 0.5 * np.sin(ang)
        xi, yi = int(x), int(y)
        if 0 <= xi < W - 1 and 0 <= yi < H - 1:
            fx, fy = x - xi, y - yi
            for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
                hair[yi + dy, xi + dx] = max(hair[yi + dy, xi + dx], op * w * 1.6)
hair = np.clip(hair, 0, 1)
a = np.maximum(a, hair)
F[hair > 0.01] = F[hair > 0.01] * 0.3 + np.array([70, 45, 30], np.float32) * 0.7
light = 0.85 + 0.25 * np.exp(-(((xx - 500) / 700) ** 2 + ((yy - 250) / 500) ** 2))
G = np.stack([45 * light, 175 * light, 70 * light], -1).astype(np.float32)
enc = subprocess.Popen(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", "25", "-i", "-",
                        "-c:v", "libx264", "-preset", "slow", "-crf", "20", "-pix_fmt", "yuv420p", f"{here}/presenter_green.mp4"], stdin=subprocess.PIPE)
for i in range(FRAMES):
    shift = int(round(12 * np.sin(2 * np.pi * i / 75)))
    ai = np.roll(a, shift, axis=1)[..., None]
    Fi = np.roll(F, shift, axis=1)
    edge = np.clip(1 - ai, 0, 1)
    spill = 0.2 * edge * (ai > 0)
    Fs = Fi + spill * (G - Fi) * np.array([0.3, 1.0, 0.3], np.float32)
    noise = rng.normal(0, 1.5, G.shape).astype(np.float32)
    C = ai * Fs + (1 - ai) * (G + noise)
    enc.stdin.write(np.clip(np.round(C), 0, 255).astype(np.uint8).tobytes())
enc.stdin.close()
enc.wait()
