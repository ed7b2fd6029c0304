/* Checks issue 14's rsi-dip rule (entry: rsi < 30 && close > trend, with
 * rsi: rsi(14) and trend: ema(200) on 15-minute bars) on a month of
 * one-minute candles with TA-Lib's RSI and EMA, independently of tradebot.
 *
 * Usage: check CANDLES.csv FROM. CANDLES.csv is nautilus_trader's
 * timestamp,open,high,low,close,volume whose timestamp is the candle's end;
 * FROM is a UTC date (2022-01-10) for the first bar qualifying at or after
 * it. The one-minute candles are resampled to 15-minute bars aligned to the
 * Unix epoch (a bar's close is its last candle's); an interval without a
 * candle makes no bar, and the last, unfinished bar is dropped, as tradebot
 * does. It prints what docs/STRATEGIES.md quotes.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ta_libc.h"

#define BAR 900

static long parse(const char *s) {
    struct tm tm = {0};
    if (!strptime(s, "%Y-%m-%d %H:%M:%S", &tm)) { fprintf(stderr, "bad time %s\n", s); exit(1); }
    return (long)timegm(&tm);
}

static const char *at(long t) {
    static char buf[4][32];
    static int i;
    time_t tt = t;
    i = (i + 1) % 4;
    strftime(buf[i], sizeof buf[i], "%Y-%m-%dT%H:%MZ", gmtime(&tt));
    return buf[i];
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: check CANDLES.csv FROM\n"); return 2; }
    FILE *f = fopen(argv[1], "r");
    if (!f) { perror(argv[1]); return 1; }
    char from_s[32];
    snprintf(from_s, sizeof from_s, "%s 00:00:00", argv[2]);
    long from = parse(from_s);
    int cap = 1 << 13, n = 0;
    double *close = malloc(cap * sizeof *close);
    long *start = malloc(cap * sizeof *start), lastEnd = 0;
    char line[256];
    fgets(line, sizeof line, f);
    while (fgets(line, sizeof line, f)) {
        char ts[40];
        double o, h, l, c, v;
        if (sscanf(line, "%39[^,],%lf,%lf,%lf,%lf,%lf", ts, &o, &h, &l, &c, &v) != 6) { fprintf(stderr, "bad line %s", line); return 1; }
        long end = parse(ts), s = (end - 60) / BAR * BAR;
        lastEnd = end;
        if (n > 0 && start[n - 1] == s) { close[n - 1] = c; continue; }
        if (n == cap) { cap *= 2; close = realloc(close, cap * sizeof *close); start = realloc(start, cap * sizeof *start); }
        start[n] = s; close[n] = c; n++;
    }
    if (n > 0 && start[n - 1] + BAR > lastEnd) n--; /* unfinished */

    double *rsi = calloc(n, sizeof *rsi), *ema = calloc(n, sizeof *ema);
    int rb, rn, eb, en;
    TA_Initialize();
    if (TA_RSI(0, n - 1, close, 14, &rb, &rn, rsi) != TA_SUCCESS || TA_EMA(0, n - 1, close, 200, &eb, &en, ema) != TA_SUCCESS) {
        fprintf(stderr, "TA-Lib failed\n");
        return 1;
    }
    int both = 0, under30 = 0, under30Both = 0, under30Above = 0, under40Above = 0, minAt = -1, first40 = -1, minAllAt = -1;
    for (int i = 0; i < n; i++) {
        if (i < rb) continue;
        double r = rsi[i - rb];
        if (r < 30) under30++;
        if (minAllAt < 0 || r < rsi[minAllAt - rb]) minAllAt = i;
        if (i < eb) continue;
        double e = ema[i - eb];
        both++;
        if (r < 30) under30Both++;
        if (close[i] <= e) continue;
        if (minAt < 0 || r < rsi[minAt - rb]) minAt = i;
        if (r < 30) under30Above++;
        if (r < 40) {
            under40Above++;
            if (first40 < 0 && start[i] + BAR >= from) first40 = i;
        }
    }
    printf("15-minute bars: %d, from %s to %s (closes)\n", n, at(start[0] + BAR), at(start[n - 1] + BAR));
    printf("with RSI(14): %d; RSI < 30 on %d; lowest RSI %.2f (bar closing %s)\n", n - rb, under30, rsi[minAllAt - rb], at(start[minAllAt] + BAR));
    printf("with RSI(14) and EMA(200): %d, the first closing %s; RSI < 30 on %d of them\n", both, at(start[eb] + BAR), under30Both);
    printf("RSI < 30 and close > EMA(200): %d bars\n", under30Above);
    if (minAt >= 0)
        printf("lowest RSI while close > EMA(200): %.2f (bar closing %s, close %.1f, EMA %.1f)\n", rsi[minAt - rb], at(start[minAt] + BAR), close[minAt], ema[minAt - eb]);
    printf("RSI < 40 and close > EMA(200): %d bars", under40Above);
    if (first40 >= 0)
        printf("; the first closing at or after %s: %s (RSI %.2f, close %.1f, EMA %.1f)", argv[2], at(start[first40] + BAR), rsi[first40 - rb], close[first40], ema[first40 - eb]);
    printf("\n");
    return 0;
}
