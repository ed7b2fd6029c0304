#!/usr/bin/env bash
# Regenerates the golden files: the two data sets (data.py), TA-Lib's values
# (gen.c, compiled against the TA-Lib C sources that the npm package
# talib@1.1.6 bundles: TA-Lib 0.6.0-dev) and technicalindicators@3.1.0's VWAP.
# Needs python3, node/npm, a C compiler, and the hftbacktest recordings from
# the shared market data directory (default ../../../../shared/data/market,
# i.e. ../shared beside the repository).
# Usage: indicator/testdata/golden/gen.sh [MARKET_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
market="${1:-$here/../../../../shared/data/market}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$here"
python3 data.py "$market/hftbacktest--spot-btcusdt_20240808.gz" "$market/hftbacktest--spot-btcusdt_20240809.gz"

cd "$work"
npm init -y >/dev/null
npm install --ignore-scripts --no-audit --no-fund technicalindicators@3.1.0 >/dev/null
npm pack --silent talib@1.1.6 >/dev/null
tar xzf talib-1.1.6.tgz
ta="$work/package/src/lib"
mkdir obj && cd obj
gcc -O2 -c -I"$ta/include" -I"$ta/src/ta_common" "$ta"/src/ta_func/*.c "$ta"/src/ta_common/*.c
gcc -O2 -o "$work/gen" -I"$ta/include" "$here/gen.c" ./*.o -lm

for d in btcusdt-1s walk; do
  rm -rf "${here:?}/$d" && mkdir -p "$here/$d"
  "$work/gen" "$here/$d.csv" "$here/$d"
  NODE_PATH="$work/node_modules" node "$here/vwap.js" "$here/$d.csv" "$here/$d"
done
