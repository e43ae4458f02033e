/* load_plot: a PNG of throughput and latency over time, drawn by gnuplot
 * (Debian gnuplot-nox) from the CSV that load_report_csv() wrote. Runs
 * gnuplot as a child with the script on its standard input. */
#ifndef UMBRA_LOAD_PLOT_H
#define UMBRA_LOAD_PLOT_H

/* 0, or -1 with a reason in err (no gnuplot, a path it cannot take ...). */
int load_plot_png(const char *csv_path, const char *png_path, const char *title, char *err,
                  size_t errlen);

#endif
