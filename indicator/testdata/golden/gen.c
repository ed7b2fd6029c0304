/* Writes golden indicator values with TA-Lib's C functions.
 *
 * Usage: gen DATA.csv OUTDIR. DATA.csv has the header open,high,low,close,volume.
 * For every indicator below it writes OUTDIR/<name>_<params>.csv with the
 * header bar,<outputs> and one row per bar on which TA-Lib gives a value (bar
 * is 0-based). Values are printed with 13 significant digits.
 *
 * Indicators TA-Lib lacks are composed from TA-Lib outputs here: stochrsi
 * (TA-Lib STOCH applied to TA-Lib RSI, the charting platforms' definition),
 * donchian (MAX/MIN), keltner (EMA and ATR), ichimoku (MIDPRICE, shifted as
 * TradingView draws it) and supertrend (TA-Lib ATR with the band rule of
 * TradingView's published ta.supertrend).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ta_libc.h"

static int n;
static double *O, *H, *L, *C, *V;

static void load(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(1); }
    char line[512];
    int cap = 1024;
    O = malloc(cap * sizeof *O); H = malloc(cap * sizeof *H); L = malloc(cap * sizeof *L);
    C = malloc(cap * sizeof *C); V = malloc(cap * sizeof *V);
    fgets(line, sizeof line, f); /* header */
    while (fgets(line, sizeof line, f)) {
        if (n == cap) {
            cap *= 2;
            O = realloc(O, cap * sizeof *O); H = realloc(H, cap * sizeof *H); L = realloc(L, cap * sizeof *L);
            C = realloc(C, cap * sizeof *C); V = realloc(V, cap * sizeof *V);
        }
        if (sscanf(line, "%lf,%lf,%lf,%lf,%lf", &O[n], &H[n], &L[n], &C[n], &V[n]) != 5) {
            fprintf(stderr, "%s: bad line %d\n", path, n + 2);
            exit(1);
        }
        n++;
    }
    fclose(f);
}

static const char *outdir;

/* emit writes k output series that all start at bar beg and hold cnt values. */
static void emit(const char *file, const char *header, int beg, int cnt, int k, double **outs) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.csv", outdir, file);
    FILE *f = fopen(path, "w");
    if (!f) { perror(path); exit(1); }
    fprintf(f, "bar,%s\n", header);
    for (int i = 0; i < cnt; i++) {
        fprintf(f, "%d", beg + i);
        for (int j = 0; j < k; j++) fprintf(f, ",%.13g", outs[j][i]);
        fprintf(f, "\n");
    }
    fclose(f);
}

static double *buf(void) { return calloc(n + 1, sizeof(double)); }

static void check(TA_RetCode rc, const char *what) {
    if (rc != TA_SUCCESS) { fprintf(stderr, "%s: TA-Lib error %d\n", what, rc); exit(1); }
}

#define ONE(file, call) do { \
    double *o = buf(); int beg, cnt; \
    check(call, file); emit(file, "value", beg, cnt, 1, &o); } while (0)

static void stochrsi(int rsiP, int stochP, int kP, int dP, const char *file) {
    double *rsi = buf(), *k = buf(), *d = buf();
    int b1, c1, b2, c2;
    check(TA_RSI(0, n - 1, C, rsiP, &b1, &c1, rsi), file);
    check(TA_STOCH(0, c1 - 1, rsi, rsi, rsi, stochP, kP, TA_MAType_SMA, dP, TA_MAType_SMA, &b2, &c2, k, d), file);
    double *outs[] = {k, d};
    emit(file, "k,d", b1 + b2, c2, 2, outs);
}

static void donchian(int p, const char *file) {
    double *hi = buf(), *lo = buf(), *mid = buf();
    int b, c;
    check(TA_MAX(0, n - 1, H, p, &b, &c, hi), file);
    check(TA_MIN(0, n - 1, L, p, &b, &c, lo), file);
    for (int i = 0; i < c; i++) mid[i] = (hi[i] + lo[i]) / 2;
    double *outs[] = {hi, mid, lo};
    emit(file, "upper,middle,lower", b, c, 3, outs);
}

static void keltner(int p, double mult, int atrP, const char *file) {
    double *ema = buf(), *atr = buf(), *u = buf(), *m = buf(), *l = buf();
    int be, ce, ba, ca;
    check(TA_EMA(0, n - 1, C, p, &be, &ce, ema), file);
    check(TA_ATR(0, n - 1, H, L, C, atrP, &ba, &ca, atr), file);
    int beg = be > ba ? be : ba, cnt = n - beg;
    for (int i = 0; i < cnt; i++) {
        double e = ema[beg + i - be], a = atr[beg + i - ba];
        u[i] = e + mult * a; m[i] = e; l[i] = e - mult * a;
    }
    double *outs[] = {u, m, l};
    emit(file, "upper,middle,lower", beg, cnt, 3, outs);
}

static void supertrend(int p, double mult, const char *file) {
    double *atr = buf(), *val = buf(), *dir = buf();
    int b, c;
    check(TA_ATR(0, n - 1, H, L, C, p, &b, &c, atr), file);
    double upper = 0, lower = 0;
    int up = 0;
    for (int i = 0; i < c; i++) {
        int t = b + i;
        double mid = (H[t] + L[t]) / 2, bu = mid + mult * atr[i], bl = mid - mult * atr[i];
        if (i == 0) {
            upper = bu; lower = bl; up = 0;
        } else {
            int wasUp = up;
            double pc = C[t - 1];
            if (bu < upper || pc > upper) upper = bu;
            if (bl > lower || pc < lower) lower = bl;
            up = wasUp ? !(C[t] < lower) : (C[t] > upper);
        }
        val[i] = up ? lower : upper;
        dir[i] = up ? 1 : -1;
    }
    double *outs[] = {val, dir};
    emit(file, "value,direction", b, c, 2, outs);
}

static void ichimoku(int tp, int kp, int sp, int disp, const char *file) {
    double *t = buf(), *k = buf(), *s = buf();
    int bt, ct, bk, ck, bs, cs;
    check(TA_MIDPRICE(0, n - 1, H, L, tp, &bt, &ct, t), file);
    check(TA_MIDPRICE(0, n - 1, H, L, kp, &bk, &ck, k), file);
    check(TA_MIDPRICE(0, n - 1, H, L, sp, &bs, &cs, s), file);
    /* Spans are drawn disp-1 bars ahead: the cloud at bar i was computed at
     * bar i-(disp-1); every window full there. */
    int longest = tp > kp ? tp : kp;
    if (sp > longest) longest = sp;
    int beg = longest - 1 + disp - 1, cnt = n - beg;
    double *o[5];
    for (int j = 0; j < 5; j++) o[j] = buf();
    for (int i = 0; i < cnt; i++) {
        int bar = beg + i, src = bar - (disp - 1);
        o[0][i] = t[bar - bt];
        o[1][i] = k[bar - bk];
        o[2][i] = (t[src - bt] + k[src - bk]) / 2;
        o[3][i] = s[src - bs];
        o[4][i] = C[bar];
    }
    emit(file, "tenkan,kijun,senkou_a,senkou_b,chikou", beg, cnt, 5, o);
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: gen DATA.csv OUTDIR\n"); return 2; }
    load(argv[1]);
    outdir = argv[2];
    check(TA_Initialize(), "init");

    ONE("sma_20", TA_SMA(0, n - 1, C, 20, &beg, &cnt, o));
    ONE("sma_7", TA_SMA(0, n - 1, C, 7, &beg, &cnt, o));
    ONE("ema_20", TA_EMA(0, n - 1, C, 20, &beg, &cnt, o));
    ONE("ema_5", TA_EMA(0, n - 1, C, 5, &beg, &cnt, o));
    ONE("wma_20", TA_WMA(0, n - 1, C, 20, &beg, &cnt, o));
    ONE("dema_20", TA_DEMA(0, n - 1, C, 20, &beg, &cnt, o));
    ONE("tema_20", TA_TEMA(0, n - 1, C, 20, &beg, &cnt, o));
    ONE("rsi_14", TA_RSI(0, n - 1, C, 14, &beg, &cnt, o));
    ONE("rsi_2", TA_RSI(0, n - 1, C, 2, &beg, &cnt, o));
    ONE("atr_14", TA_ATR(0, n - 1, H, L, C, 14, &beg, &cnt, o));
    ONE("cci_20", TA_CCI(0, n - 1, H, L, C, 20, &beg, &cnt, o));
    ONE("mfi_14", TA_MFI(0, n - 1, H, L, C, V, 14, &beg, &cnt, o));
    ONE("roc_10", TA_ROC(0, n - 1, C, 10, &beg, &cnt, o));
    ONE("willr_14", TA_WILLR(0, n - 1, H, L, C, 14, &beg, &cnt, o));
    ONE("obv", TA_OBV(0, n - 1, C, V, &beg, &cnt, o));
    ONE("sar_0.02_0.2", TA_SAR(0, n - 1, H, L, 0.02, 0.2, &beg, &cnt, o));
    ONE("sar_0.05_0.3", TA_SAR(0, n - 1, H, L, 0.05, 0.3, &beg, &cnt, o));

    {
        double *m = buf(), *s = buf(), *h = buf(); int beg, cnt;
        check(TA_MACD(0, n - 1, C, 12, 26, 9, &beg, &cnt, m, s, h), "macd");
        double *outs[] = {m, s, h};
        emit("macd_12_26_9", "macd,signal,hist", beg, cnt, 3, outs);
        check(TA_MACD(0, n - 1, C, 5, 35, 5, &beg, &cnt, m, s, h), "macd");
        emit("macd_5_35_5", "macd,signal,hist", beg, cnt, 3, outs);
    }
    {
        double *u = buf(), *m = buf(), *l = buf(); int beg, cnt;
        double *outs[] = {u, m, l};
        check(TA_BBANDS(0, n - 1, C, 20, 2, 2, TA_MAType_SMA, &beg, &cnt, u, m, l), "bbands");
        emit("bbands_20_2", "upper,middle,lower", beg, cnt, 3, outs);
        check(TA_BBANDS(0, n - 1, C, 10, 1.5, 1.5, TA_MAType_SMA, &beg, &cnt, u, m, l), "bbands");
        emit("bbands_10_1.5", "upper,middle,lower", beg, cnt, 3, outs);
    }
    {
        double *a = buf(), *p = buf(), *m = buf(); int ba, ca, bp, cp, bm, cm;
        check(TA_ADX(0, n - 1, H, L, C, 14, &ba, &ca, a), "adx");
        check(TA_PLUS_DI(0, n - 1, H, L, C, 14, &bp, &cp, p), "adx");
        check(TA_MINUS_DI(0, n - 1, H, L, C, 14, &bm, &cm, m), "adx");
        double *outs[] = {a, p + (ba - bp), m + (ba - bm)};
        emit("adx_14", "adx,plus_di,minus_di", ba, ca, 3, outs);
    }
    {
        double *k = buf(), *d = buf(); int beg, cnt;
        double *outs[] = {k, d};
        check(TA_STOCH(0, n - 1, H, L, C, 14, 3, TA_MAType_SMA, 3, TA_MAType_SMA, &beg, &cnt, k, d), "stoch");
        emit("stoch_14_3_3", "k,d", beg, cnt, 2, outs);
        check(TA_STOCH(0, n - 1, H, L, C, 5, 2, TA_MAType_SMA, 4, TA_MAType_SMA, &beg, &cnt, k, d), "stoch");
        emit("stoch_5_2_4", "k,d", beg, cnt, 2, outs);
    }
    stochrsi(14, 14, 3, 3, "stochrsi_14_14_3_3");
    donchian(20, "donchian_20");
    keltner(20, 2, 10, "keltner_20_2_10");
    supertrend(10, 3, "supertrend_10_3");
    supertrend(7, 2, "supertrend_7_2");
    ichimoku(9, 26, 52, 26, "ichimoku_9_26_52_26");
    TA_Shutdown();
    return 0;
}
