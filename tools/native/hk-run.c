/* hk-run: run one command and report how it ended, its wall time and its peak RSS.
 *
 *   hk-run -o REPORT [-p PRELOAD] [-t TIMEOUT_S] -- PROGRAM [ARG...]
 *
 * The child gets LD_PRELOAD=PRELOAD (set after fork, so hk-run itself never runs
 * on the allocator under test); its stdout and stderr are inherited. When the
 * child ends, one line is written to REPORT:
 *
 *   status=<exited|signaled|timeout> code=<n> signal=<n> wall_s=<s> maxrss_kb=<k> utime_s=<s> stime_s=<s>
 *
 * maxrss comes from wait4()'s rusage of that one child (ru_maxrss, KiB on Linux).
 *
 * The child leads a process group of its own and dies with hk-run (PR_SET_PDEATHSIG): a
 * timeout kills the whole group, SIGINT and SIGTERM are passed on to it, and whatever is
 * left in it when the child ends is killed. So a child that starts others leaves nothing
 * running behind it: the drivers of the real workloads (tools/real/<name>/run) run the
 * measured program through hk-run again, and redis-benchmark beside redis-server.
 *
 * Compiled on demand by @hakmem/tools into dist/tools/hk-run; not part of libhakmem.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;
static pid_t child;

static void on_alarm(int sig) {
    (void)sig;
    timed_out = 1;
    if (child > 0) kill(-child, SIGKILL);
}

static void forward(int sig) {
    if (child > 0) kill(-child, sig);
}

static double seconds_since(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) * 1e-9;
}

static double tv_seconds(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6; }

int main(int argc, char **argv) {
    const char *report = NULL, *preload = NULL;
    double timeout = 0;
    int opt;
    while ((opt = getopt(argc, argv, "+o:p:t:")) != -1) {
        switch (opt) {
        case 'o': report = optarg; break;
        case 'p': preload = optarg; break;
        case 't': timeout = atof(optarg); break;
        default: goto usage;
        }
    }
    if (!report || optind >= argc) goto usage;

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t parent = getpid();
    child = fork();
    if (child < 0) {
        perror("hk-run: fork");
        return 125;
    }
    if (child == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(125); /* hk-run died before the line above */
        if (preload && *preload) setenv("LD_PRELOAD", preload, 1);
        else unsetenv("LD_PRELOAD");
        execvp(argv[optind], &argv[optind]);
        fprintf(stderr, "hk-run: cannot run %s: %s\n", argv[optind], strerror(errno));
        _exit(127);
    }
    setpgid(child, child); /* as the child does: whichever runs first, the group exists before a kill */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    if (timeout > 0) {
        struct itimerval it = {{0, 0}, {(time_t)timeout, (suseconds_t)((timeout - (double)(time_t)timeout) * 1e6)}};
        setitimer(ITIMER_REAL, &it, NULL);
    }

    /* Wait for the end without reaping (the zombie keeps the group's id taken), end whatever the
     * child left running in its group, then reap it with its rusage. */
    siginfo_t si;
    int w;
    do w = waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT);
    while (w < 0 && errno == EINTR);
    double wall = seconds_since(&t0);
    if (w == 0) kill(-child, SIGKILL);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    pid_t r;
    do r = wait4(child, &status, 0, &ru);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        perror("hk-run: wait4");
        return 125;
    }

    FILE *f = fopen(report, "w");
    if (!f) {
        perror("hk-run: report");
        return 125;
    }
    const char *how = timed_out ? "timeout" : WIFSIGNALED(status) ? "signaled" : "exited";
    fprintf(f, "status=%s code=%d signal=%d wall_s=%.6f maxrss_kb=%ld utime_s=%.6f stime_s=%.6f\n", how,
            WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0, wall,
            ru.ru_maxrss, tv_seconds(ru.ru_utime), tv_seconds(ru.ru_stime));
    fclose(f);
    return 0;

usage:
    fprintf(stderr, "usage: hk-run -o REPORT [-p PRELOAD] [-t TIMEOUT_S] -- PROGRAM [ARG...]\n");
    return 125;
}
