#!/usr/bin/env python3
"""Writes the two candle series the golden values are computed on.

btcusdt-1s.csv: one-second candles built from the trades of hftbacktest's
Binance spot BTCUSDT recording (MIT; files named on the command line), in
trade time, seconds without a trade skipped (as a bar builder does).
walk.csv: a deterministic random walk with jumps, wide and narrow bars.
Columns: open,high,low,close,volume.
"""
import gzip, json, sys


def trades_to_seconds(paths):
    bars = {}
    order = []
    for path in paths:
        with gzip.open(path, "rt") as f:
            for line in f:
                _, _, msg = line.partition(" ")
                if "@trade" not in msg[:40]:
                    continue
                d = json.loads(msg)["data"]
                sec, p, q = d["T"] // 1000, float(d["p"]), float(d["q"])
                b = bars.get(sec)
                if b is None:
                    bars[sec] = [p, p, p, p, q]
                    order.append(sec)
                else:
                    b[1], b[2], b[3], b[4] = max(b[1], p), min(b[2], p), p, b[4] + q
    return [bars[s] for s in sorted(order)]


def walk(n):
    s = 88172645463325252
    def rnd():
        nonlocal s
        s ^= (s << 13) & 0xFFFFFFFFFFFFFFFF
        s ^= s >> 7
        s ^= (s << 17) & 0xFFFFFFFFFFFFFFFF
        return (s % 1000003) / 1000003.0
    out, x = [], 100.0
    for i in range(n):
        o = x
        step = (rnd() - 0.5) * 0.04
        if rnd() < 0.02:
            step *= 6  # a jump
        x = o * (1 + step)
        h = max(o, x) * (1 + rnd() * 0.02)
        lo = min(o, x) * (1 - rnd() * 0.02)
        out.append([o, h, lo, x, 1 + rnd() * 1000])
    return out


def write(path, rows):
    with open(path, "w") as f:
        f.write("open,high,low,close,volume\n")
        for r in rows:
            f.write(",".join(repr(round(v, 8)) for v in r) + "\n")


if __name__ == "__main__":
    write("btcusdt-1s.csv", trades_to_seconds(sys.argv[1:]))
    write("walk.csv", walk(1000))
