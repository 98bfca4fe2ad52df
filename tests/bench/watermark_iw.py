"""The Python half of tests/bench/watermark.sh: invisible-watermark's
embedding and decoding on raw I420 frames, PSNR, and the final tables.
Run by the script with its bench virtualenv; not part of the test suite.

  watermark_iw.py y4m RAW FRAMES OUT.y4m            first FRAMES I420 1080p frames as YUV4MPEG
  watermark_iw.py embed METHOD RAW FRAMES OUT JSON  mark FRAMES frames (dwtDct, dwtDctSvd)
  watermark_iw.py decode METHOD RAW JSON            read every 1080p I420 frame of RAW
  watermark_iw.py psnr REF TEST FRAMES JSON         Reel's marked luma (TEST) against REF
  watermark_iw.py report DIR ROWS                   the markdown tables from DIR's results

Frames are raw I420 1920x1080. invisible-watermark works on BGR pictures
(it marks the U channel of OpenCV's YUV): frames go to BGR and back with
OpenCV's BT.601 I420 conversions, on the way in and on the way out.
"""

import json
import os
import statistics
import sys
import time
import types

import numpy as np

W, H = 1920, 1080
FRAME = W * H * 3 // 2
PAYLOAD = 0x0123456789ABCDEF
BITS = [(PAYLOAD >> (63 - i)) & 1 for i in range(64)]

# invisible-watermark imports torch at the top of its rivaGan module (the
# method not measured here, whose ONNX runtime is imported only when used):
# a stub stands in, so the bench needs no torch.
sys.modules.setdefault("torch", types.ModuleType("torch"))
import cv2  # noqa: E402
from imwatermark import WatermarkDecoder, WatermarkEncoder  # noqa: E402

cv2.setNumThreads(1)


def frames(path, count=None):
    """The I420 frames of a raw file, one (H*3/2, W) array each."""
    n = os.path.getsize(path) // FRAME
    if count is not None:
        n = min(n, count)
    data = np.memmap(path, np.uint8, "r", shape=(n, H * 3 // 2, W))
    for i in range(n):
        yield np.array(data[i])


def bgr(i420):
    return cv2.cvtColor(i420, cv2.COLOR_YUV2BGR_I420)


def i420(picture):
    return cv2.cvtColor(picture, cv2.COLOR_BGR2YUV_I420)


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255 * 255 / mse)


def y4m(raw, count, out):
    with open(out, "wb") as f:
        f.write(b"YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C420jpeg\n" % (W, H))
        n = 0
        for frame in frames(raw, count):
            f.write(b"FRAME\n")
            f.write(frame.tobytes())
            n += 1
    if n != count:
        sys.exit(f"{raw}: {n} frames, wanted {count}")


def embed(method, raw, count, out, result):
    encoder = WatermarkEncoder()
    encoder.set_watermark("bits", BITS)
    times, psnr_y, psnr_rgb = [], [], []
    with open(out, "wb") as f:
        for frame in frames(raw, count):
            picture = bgr(frame)
            start = time.perf_counter()
            marked = encoder.encode(picture, method)
            times.append(time.perf_counter() - start)
            # The mark as the encoder gets it (I420), against the same
            # round trip without the mark.
            before, after = i420(picture), i420(marked)
            psnr_y.append(psnr(before[:H], after[:H]))
            psnr_rgb.append(psnr(bgr(before), bgr(after)))
            f.write(after.tobytes())
    json.dump(
        {
            "frames": len(times),
            "ms": 1000 * statistics.mean(times),
            "psnr_y": statistics.mean(psnr_y),
            "psnr_y_min": min(psnr_y),
            "psnr_rgb": statistics.mean(psnr_rgb),
            "psnr_rgb_min": min(psnr_rgb),
        },
        open(result, "w"),
    )


def decode(method, raw, result):
    decoder = WatermarkDecoder("bits", 64)
    times, accuracy, votes = [], [], np.zeros(64)
    for frame in frames(raw):
        picture = bgr(frame)
        start = time.perf_counter()
        bits = decoder.decode(picture, method)
        times.append(time.perf_counter() - start)
        bits = np.array(bits, dtype=int)
        accuracy.append(float(np.mean(bits == BITS)))
        votes += bits
    n = len(times)
    # A tie reads as neither bit (wrong), not as 0.
    majority = np.where(votes * 2 > n, 1, np.where(votes * 2 < n, 0, -1))
    json.dump(
        {
            "frames": n,
            "ms": 1000 * statistics.mean(times),
            "bit_accuracy": statistics.mean(accuracy),
            "exact_share": sum(a == 1.0 for a in accuracy) / n,
            "majority_right": int(np.sum(majority == BITS)),
            "majority_tied": int(np.sum(majority == -1)),
        },
        open(result, "w"),
    )


def reel_psnr(ref, test, count, result):
    """Reel marks luma only: its marked Y planes (decoded from a lossless
    encode) against the source's; the RGB picture is the marked luma with
    the source's chroma."""
    psnr_y, psnr_rgb = [], []
    for before, after in zip(frames(ref, count), frames(test, count)):
        psnr_y.append(psnr(before[:H], after[:H]))
        after[H:] = before[H:]
        psnr_rgb.append(psnr(bgr(before), bgr(after)))
    json.dump(
        {
            "frames": len(psnr_y),
            "psnr_y": statistics.mean(psnr_y),
            "psnr_y_min": min(psnr_y),
            "psnr_rgb": statistics.mean(psnr_rgb),
            "psnr_rgb_min": min(psnr_rgb),
        },
        open(result, "w"),
    )


def report(folder, rows):
    rows = open(rows).read().splitlines()
    methods = os.environ["METHODS"].split()
    load = lambda name: json.load(open(os.path.join(folder, name)))  # noqa: E731

    keys = int(os.environ["KEYS"])

    def reel_cell(n, i):
        reports = [load(f"reel{n}_k{k}_{i}.json") for k in range(1, keys + 1)]
        exact = [r for r in reports if r.get("payload") == f"0x{PAYLOAD:016x}"]
        wrong = [r for r in reports if r.get("found") and r not in exact]
        errors = sum(1 for r in reports if r.get("error"))
        cell = f"{len(exact)}/{keys}"
        if exact:
            cell += f", p ≤ {max(r['false_positive_probability'] for r in exact):.0e}"
        missed = [r for r in reports if r not in exact and not r.get("error")]
        if missed:
            cell += f" (not found: score {max(r.get('score', float('nan')) for r in missed):.1f} at best)"
        if wrong:
            cell += f" **{len(wrong)} wrong payload**"
        if errors:
            cell += f" ({errors} errors)"
        return cell

    def iw_cell(method, i):
        r = load(f"{method}_{i}.json")
        right, tied = r["majority_right"], r["majority_tied"]
        vote = "yes" if right == 64 else f"no ({right}/64" + (f", {tied} tied)" if tied else ")")
        return f"{100 * r['bit_accuracy']:.1f}% / {100 * r['exact_share']:.0f}% / {vote}"

    head = ["attack", "Reel, 3 s (90 frames): keys read exactly", "Reel, the 1 s (30 frames)"]
    head += [f"`{m}`, the 1 s: bits / exact frames / majority" for m in methods]
    print("| " + " | ".join(head) + " |")
    print("| --- " * len(head) + "|")
    for i, name in enumerate(rows):
        row = [name, reel_cell(90, i), reel_cell(30, i)]
        row += [iw_cell(m, i) for m in methods]
        print("| " + " | ".join(row) + " |")
    print()
    print(f"Reel: of {keys} keys, how many read the exact payload back, and the largest")
    print("false-positive probability the detector reported for those (and, if some missed, the best score; a payload counts when the score reaches 5.5 and its CRC holds).")
    print("invisible-watermark: mean share of the 64 bits read right per frame / share of frames")
    print("read exactly / the per-bit majority over the clip's frames exact (else how many of the 64 bits")
    print("it gets right; a tied bit counts as wrong).")
    print()
    reel, rp = load("reel_speed.json"), load("reel_psnr.json")
    print("| method | embed, ms a frame | embed, whole run | detect | PSNR luma, dB (worst frame) | PSNR RGB, dB (worst frame) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| Reel `watermark` | {reel['embed_ms']:.1f} (p99 {reel['embed_p99']:.1f}) "
        f"| {reel['run_fps']:.1f} fps (decode, mark, x264) "
        f"| {1000 * reel['detect_s'] / reel['detect_frames']:.1f} ms a frame "
        f"({reel['detect_s']:.2f} s for {reel['detect_frames']} frames, the whole command) "
        f"| {rp['psnr_y']:.2f} ({rp['psnr_y_min']:.2f}) | {rp['psnr_rgb']:.2f} ({rp['psnr_rgb_min']:.2f}) |"
    )
    for m in methods:
        e = load(f"{m}_embed.json")
        d = [load(f"{m}_{i}.json") for i in range(len(rows))]
        detect = sum(r["ms"] * r["frames"] for r in d) / sum(r["frames"] for r in d)
        print(
            f"| invisible-watermark `{m}` | {e['ms']:.0f} | {1000 / e['ms']:.1f} fps (the call alone) "
            f"| {detect:.0f} ms a frame (the call alone) "
            f"| {e['psnr_y']:.2f} ({e['psnr_y_min']:.2f}) | {e['psnr_rgb']:.2f} ({e['psnr_rgb_min']:.2f}) |"
        )


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "y4m":
        y4m(args[0], int(args[1]), args[2])
    elif cmd == "embed":
        embed(args[0], args[1], int(args[2]), args[3], args[4])
    elif cmd == "decode":
        decode(args[0], args[1], args[2])
    elif cmd == "psnr":
        reel_psnr(args[0], args[1], int(args[2]), args[3])
    elif cmd == "report":
        report(args[0], args[1])
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
