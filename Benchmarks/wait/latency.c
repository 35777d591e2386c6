/*
 * latency ROUNDS REGION FIRST_DOMID WAIT-COMMAND...
 *
 * Measures how long `sshm-reconcile wait` takes to exit once the daemon has mapped the domain it waits for. Each
 * round: starts WAIT-COMMAND (which must log at debug level, -vv, on stderr) and reads its stderr until its first
 * verdict ("wait: waiting"), so that its watches are armed; builds a borrower domain "borrower-vm" as a toolstack
 * does (a new domid from FIRST_DOMID up, a new UUID) and introduces it, which is the daemon's cue; watches the
 * domain's guest view /local/domain/<domid>/static_shm/REGION/state until it says "mapped" (t1, seen through a watch
 * of this process's own, notified by xenstored with wait's); then reaps the wait (t2, its exit status must be 0).
 * Prints every round's t2 - t1, and the time to its "wait: ready" log line (its decision, before its output and
 * exit), with medians, quartiles, min and max in milliseconds. The domain is destroyed and
 * its record entry garbage-collected before the next round. One round more than ROUNDS runs first and is not
 * counted (the daemon's start-up pass).
 */
#include "../baseline/toolstack.h"
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reads FD until MARKER has been written to it; ends the program at end of file. */
static void read_until(int fd, const char *marker)
{
	char buf[4096];
	size_t used = 0;

	for (;;) {
		ssize_t n = read(fd, buf + used, sizeof(buf) - 1 - used);

		if (n <= 0) {
			fprintf(stderr, "the wait ended before it logged \"%s\": %.*s\n", marker, (int)used, buf);
			exit(1);
		}
		used += n;
		buf[used] = 0;
		if (strstr(buf, marker))
			return;
		if (used > sizeof(buf) / 2) { /* keep the tail: the marker may straddle reads */
			memmove(buf, buf + used - 64, 64);
			used = 64;
		}
	}
}

/* Starts the wait, its stdout to /dev/null and its stderr on a pipe; returns once it logged its first verdict. */
static pid_t start_wait(char **argv, int *err)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null < 0 || dup2(null, 1) < 0 || dup2(fds[1], 2) < 0)
			_exit(126);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	read_until(fds[0], "wait: waiting");
	*err = fds[0];
	return pid;
}

static void report(const char *what, double *ms, int rounds)
{
	qsort(ms, rounds, sizeof(*ms), cmp_double);
	printf("%s over %d rounds: median %.2f ms, quartiles %.2f-%.2f ms, min %.2f ms, max %.2f ms\n", what, rounds,
	       ms[rounds / 2], ms[rounds / 4], ms[rounds * 3 / 4], ms[0], ms[rounds - 1]);
}

int main(int argc, char **argv)
{
	struct xs_handle *h, *w;
	char uuid[40], view[192];
	int rounds, first, i, status, err;
	double *ms, *decided;

	if (argc < 5) {
		fprintf(stderr, "usage: %s ROUNDS REGION FIRST_DOMID WAIT-COMMAND...\n", argv[0]);
		return 2;
	}
	rounds = atoi(argv[1]);
	first = atoi(argv[3]);
	ms = calloc(rounds, sizeof(*ms));
	decided = calloc(rounds, sizeof(*decided));
	h = xs_open(0);
	w = xs_open(0);
	if (!h || !w || !ms || !decided)
		die("xs_open");
	for (i = -1; i < rounds; i++) {
		int domid = first + 1 + i;
		double t1, td, t2;
		pid_t pid;

		pid = start_wait(argv + 4, &err);
		snprintf(uuid, sizeof(uuid), "11111111-2222-4333-8444-%012d", domid);
		snprintf(view, sizeof(view), "/local/domain/%d/static_shm/%s/state", domid, argv[2]);
		if (!xs_watch(w, view, "v"))
			die("xs_watch");
		free(xs_read_watch(w, (unsigned[]){ 0 }));
		build_domain(h, domid, "borrower-vm", uuid);
		if (!xs_introduce_domain(h, domid, 1, 1))
			die("xs_introduce_domain");
		wait_for(w, view, "mapped");
		t1 = now();
		read_until(err, "wait: ready");
		td = now();
		if (waitpid(pid, &status, 0) != pid)
			die("waitpid");
		t2 = now();
		close(err);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "round %d: the wait did not exit 0 (status %#x)\n", i, status);
			return 1;
		}
		if (i >= 0) {
			ms[i] = (t2 - t1) * 1000;
			decided[i] = (td - t1) * 1000;
			printf("round %d: ready logged after %.2f ms, exited after %.2f ms\n", i + 1, decided[i], ms[i]);
		}
		xs_unwatch(w, view, "v");
		destroy_domain(h, w, domid, uuid, argv[2]);
	}
	report("view mapped -> wait logged ready", decided, rounds);
	report("view mapped -> wait exited", ms, rounds);
	return 0;
}
