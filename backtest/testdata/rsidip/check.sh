#!/usr/bin/env bash
# Checks issue 14's rsi-dip rule on the nautilus month with TA-Lib (check.c),
# independently of tradebot: the numbers docs/STRATEGIES.md quotes. TA-Lib is
# compiled from the C sources the npm package talib@1.1.6 bundles, as the
# indicator golden values are (indicator/testdata/golden/gen.sh).
# Needs npm (registry access) and a C compiler.
# Usage: backtest/testdata/rsidip/check.sh [CANDLES.csv] [FROM]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${1:-$here/../../../../shared/data/market/nautilus_trader--btc-perp-20211231-20220201_1m.csv}"
from="${2:-2022-01-10}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent talib@1.1.6 >/dev/null
tar xzf talib-1.1.6.tgz
ta="$work/package/src/lib"
mkdir obj && cd obj
gcc -O2 -c -I"$ta/include" -I"$ta/src/ta_common" "$ta"/src/ta_func/*.c "$ta"/src/ta_common/*.c
gcc -O2 -o "$work/check" -I"$ta/include" "$here/check.c" ./*.o -lm
"$work/check" "$data" "$from"
