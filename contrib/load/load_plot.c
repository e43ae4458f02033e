/* load_plot: see load_plot.h. */
#include <stddef.h>

#include "load_plot.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* gnuplot strings are quoted with '; refuse what would break out. */
static int plain_path(const char *p)
{
    return p != NULL && p[0] != '\0' && strpbrk(p, "'\"\n\r\\`") == NULL;
}

int load_plot_png(const char *csv_path, const char *png_path, const char *title, char *err,
                  size_t errlen)
{
    int fds[2];
    pid_t pid;
    FILE *in;
    int status;

    if (!plain_path(csv_path) || !plain_path(png_path) || !plain_path(title)) {
        snprintf(err, errlen, "plot: file names must not hold quotes or newlines");
        return -1;
    }
    if (pipe(fds) != 0) {
        snprintf(err, errlen, "plot: pipe: %s", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        snprintf(err, errlen, "plot: fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        dup2(fds[0], STDIN_FILENO);
        close(fds[0]);
        close(fds[1]);
        execlp("gnuplot", "gnuplot", (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    in = fdopen(fds[1], "w");
    if (in == NULL) {
        close(fds[1]);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        snprintf(err, errlen, "plot: fdopen failed");
        return -1;
    }
    fprintf(in,
            "set terminal pngcairo size 1000,800\n"
            "set output '%s'\n"
            "set datafile separator ','\n"
            "set key autotitle columnhead\n"
            "set multiplot layout 2,1 title '%s'\n"
            "set grid\n"
            "set xlabel 'time (s)'\n"
            "set ylabel 'packets/s'\n"
            "plot '%s' using 1:2 with lines lw 2 title 'offered', "
            "'' using 1:4 with lines lw 2 title 'delivered'\n"
            "set ylabel 'one-way latency (ms)'\n"
            "set logscale y\n"
            "plot '%s' using 1:($10>0?$10:1/0) with lines lw 2 title 'p50', "
            "'' using 1:($11>0?$11:1/0) with lines lw 2 title 'p99', "
            "'' using 1:($12>0?$12:1/0) with lines lw 2 title 'p99.9'\n"
            "unset multiplot\n",
            png_path, title, csv_path, csv_path);
    fclose(in);
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "plot: gnuplot failed (is gnuplot-nox installed?)");
        return -1;
    }
    return 0;
}
