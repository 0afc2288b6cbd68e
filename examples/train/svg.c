/* svg.c - hand-written SVG charts for the training demo (no dependencies). */
#include "train.h"

#include <math.h>
#include <stdio.h>

static const char *const COLORS[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                     "#9467bd", "#8c564b", "#e377c2", "#17becf",
                                     "#bcbd22", "#7f7f7f", "#000000", "#aec7e8",
                                     "#ff9896", "#98df8a"};
#define NCOLORS (int)(sizeof COLORS / sizeof COLORS[0])

static void esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else fputc(*s, f);
    }
}

static void legend_entry(FILE *f, const svg_series *s, int k, const svg_style *st,
                         const char *c, double x0, double T)
{
    double ly = T + 10 + 20 * k;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%g\"",
            x0 + 12, ly, x0 + 32, ly, c, st && st->width > 3 ? st->width : 3.0);
    if (st && st->opacity > 0) fprintf(f, " stroke-opacity=\"%g\"", st->opacity);
    if (st && st->dash) fprintf(f, " stroke-dasharray=\"%s\"", st->dash);
    fputs("/>\n", f);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x0 + 38, ly + 4);
    esc(f, s[k].name);
    fputs("</text>\n", f);
}

/* the 1-2-5 value at or below (up = 0) / at or above (up = 1) v > 0 */
static double nice125(double v, int up)
{
    double d = pow(10, floor(log10(v))), m[4] = {1, 2, 5, 10};
    if (up) {
        for (int i = 0; i < 4; i++)
            if (m[i] * d >= v * (1 - 1e-9)) return m[i] * d;
        return 10 * d;
    }
    for (int i = 3; i >= 0; i--)
        if (m[i] * d <= v * (1 + 1e-9)) return m[i] * d;
    return d;
}

int svg_line_chart_ex(const char *path, const char *title, const char *xlabel,
                      const char *ylabel, const svg_series *s, int ns, int log_y,
                      const svg_line_opts *opt)
{
    static const svg_line_opts none = {0};
    if (!opt) opt = &none;
    const char *subtitle = opt->subtitle;
    int tight = log_y && opt->log_tight;
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    const double R = opt->legend_width > 0 ? opt->legend_width : 170, W = 590 + R,
                 H = subtitle ? 460 : 440, L = 70, T = subtitle ? 60 : 40, B = 50;
    const double pw = W - L - R, ph = H - T - B;
    int nmax = 1;
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < ns; k++) {
        if (s[k].n > nmax) nmax = s[k].n;
        for (int i = 0; i < s[k].n; i++) {
            double v = s[k].y[i];
            if (!isfinite(v) || (log_y && v <= 0)) continue;
            v = log_y ? log10(v) : v;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
    }
    if (!(lo <= hi)) { lo = 0; hi = 1; }
    if (tight && lo <= hi) { lo = log10(nice125(pow(10, lo), 0)); hi = log10(nice125(pow(10, hi), 1)); }
    else if (log_y) { lo = floor(lo); hi = ceil(hi); }
    if (hi - lo < 1e-9) { hi = lo + 1; }
    if (!log_y) { double pad = 0.05 * (hi - lo); lo -= pad; hi += pad; if (lo > 0 && lo < pad * 3) lo = 0; }
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
            W, H, W, H);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(f, "<text x=\"%.0f\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">", L + pw / 2);
    esc(f, title);
    fputs("</text>\n", f);
    if (subtitle) {
        fprintf(f, "<text x=\"%.0f\" y=\"42\" fill=\"#555\" text-anchor=\"middle\">", L + pw / 2);
        esc(f, subtitle);
        fputs("</text>\n", f);
    }
    /* y grid and ticks */
    if (tight) {
        for (double d = pow(10, floor(lo)); d <= pow(10, hi) * (1 + 1e-9); d *= 10)
            for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
                double e = log10(m * d);
                if (e < lo - 1e-9 || e > hi + 1e-9) continue;
                double y = T + ph * (1 - (e - lo) / (hi - lo));
                fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, y, L + pw, y);
                fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", L - 6, y + 4, m * d);
            }
    } else if (log_y) {
        for (double e = lo; e <= hi + 1e-9; e += 1) {
            double y = T + ph * (1 - (e - lo) / (hi - lo));
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, y, L + pw, y);
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", L - 6, y + 4, pow(10, e));
        }
    } else {
        for (int i = 0; i <= 5; i++) {
            double v = lo + (hi - lo) * i / 5, y = T + ph * (1 - (double)i / 5);
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, y, L + pw, y);
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>\n", L - 6, y + 4, v);
        }
    }
    /* x ticks */
    int step = nmax <= 10 ? 1 : nmax <= 25 ? 5 : nmax <= 100 ? 10 : nmax <= 500 ? 50 : 100;
    for (int x = 0; x <= nmax; x += step) {
        double px = L + pw * (nmax > 1 ? (double)(x - 1 < 0 ? 0 : x - 1) / (nmax - 1) : 0.5);
        if (x == 0) continue;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>\n", px, T + ph, px, T + ph + 4);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n", px, T + ph + 17, x);
    }
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n", L, T, pw, ph);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", L + pw / 2, H - 12);
    esc(f, xlabel);
    fprintf(f, "</text>\n<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\">", T + ph / 2);
    esc(f, ylabel);
    fputs(log_y ? " (log scale)</text>\n" : "</text>\n", f);
    for (int q = 0; q < ns; q++) {
        int k = opt->draw_reversed ? ns - 1 - q : q;
        const svg_style *st = opt->style ? &opt->style[k] : NULL;
        const char *c = st && st->color ? st->color : COLORS[k % NCOLORS];
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%g\"", c,
                st && st->width > 0 ? st->width : 2.0);
        if (st && st->opacity > 0) fprintf(f, " stroke-opacity=\"%g\"", st->opacity);
        if (st && st->dash) fprintf(f, " stroke-dasharray=\"%s\"", st->dash);
        fputs(" points=\"", f);
        for (int i = 0; i < s[k].n; i++) {
            double v = s[k].y[i];
            if (!isfinite(v) || (log_y && v <= 0)) continue;
            v = log_y ? log10(v) : v;
            if (v < lo) v = lo;
            if (v > hi) v = hi;
            double px = L + pw * (nmax > 1 ? (double)i / (nmax - 1) : 0.5);
            double py = T + ph * (1 - (v - lo) / (hi - lo));
            fprintf(f, "%.1f,%.1f ", px, py);
        }
        fputs("\"/>\n", f);
        if (!opt->draw_reversed)
            legend_entry(f, s, k, st, c, L + pw, T);
    }
    for (int k = 0; opt->draw_reversed && k < ns; k++) /* the legend in the given order */
        legend_entry(f, s, k, opt->style ? &opt->style[k] : NULL,
                     opt->style && opt->style[k].color ? opt->style[k].color
                                                       : COLORS[k % NCOLORS], L + pw, T);
    fputs("</svg>\n", f);
    return fclose(f) == 0 ? 0 : -1;
}

int svg_line_chart(const char *path, const char *title, const char *xlabel, const char *ylabel,
                   const svg_series *s, int ns, int log_y)
{
    return svg_line_chart_ex(path, title, xlabel, ylabel, s, ns, log_y, NULL);
}

int svg_bar_chart(const char *path, const char *title, const char *ylabel,
                  const char *series_name[2], const svg_bar_group *g, int ng)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    const double W = 640, H = 400, L = 70, R = 20, T = 60, B = 50;
    const double pw = W - L - R, ph = H - T - B;
    double hi = 0;
    for (int i = 0; i < ng; i++)
        for (int k = 0; k < 2; k++)
            if (isfinite(g[i].value[k]) && g[i].value[k] > hi) hi = g[i].value[k];
    if (hi <= 0) hi = 1;
    double mag = pow(10, floor(log10(hi))), top = ceil(hi / mag) * mag;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
            W, H, W, H);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(f, "<text x=\"%.0f\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">", L + pw / 2);
    esc(f, title);
    fputs("</text>\n", f);
    for (int i = 0; i <= 5; i++) {
        double v = top * i / 5, y = T + ph * (1 - (double)i / 5);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, y, L + pw, y);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", L - 6, y + 4, v);
    }
    double gw = pw / ng, bw = gw * 0.35;
    for (int i = 0; i < ng; i++) {
        double gx = L + gw * i + gw * 0.15;
        for (int k = 0; k < 2; k++) {
            double v = g[i].value[k], h = isfinite(v) ? ph * v / top : 0;
            double x = gx + bw * k, y = T + ph - h;
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
                    x, y, bw - 2, h, COLORS[k]);
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%.0f</text>\n",
                    x + bw / 2 - 1, y - 3, v);
        }
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", gx + bw, T + ph + 17);
        esc(f, g[i].group);
        fputs("</text>\n", f);
    }
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n", L, T, pw, ph);
    fprintf(f, "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\">", T + ph / 2);
    esc(f, ylabel);
    fputs("</text>\n", f);
    for (int k = 0; k < 2; k++) {
        double lx = L + 10 + 200 * k;
        fprintf(f, "<rect x=\"%.1f\" y=\"34\" width=\"14\" height=\"12\" fill=\"%s\"/>\n", lx, COLORS[k]);
        fprintf(f, "<text x=\"%.1f\" y=\"45\">", lx + 20);
        esc(f, series_name[k]);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
    return fclose(f) == 0 ? 0 : -1;
}
