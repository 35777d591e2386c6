/* flood PATH N: a guest rewriting its doorbell's port node N times in a loop (N = 0: until killed), through
 * libxenstore, as fast as xenstored answers. The values cycle through invalid ones and ports that no channel has,
 * so that the daemon finds the pair broken on every check it makes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

int main(int argc, char **argv)
{
	static const char *const values[] = { "abc", "7", "0", "123456789", "" };
	struct xs_handle *h;
	long count, i;

	if (argc != 3) {
		fprintf(stderr, "usage: %s PATH N\n", argv[0]);
		return 2;
	}
	count = atol(argv[2]);
	h = xs_open(0);
	if (!h) {
		perror("xs_open");
		return 1;
	}
	for (i = 0; count == 0 || i < count; i++) {
		const char *value = values[i % 5];
		if (!xs_write(h, XBT_NULL, argv[1], value, strlen(value))) {
			perror("xs_write");
			xs_close(h);
			return 1;
		}
	}
	xs_close(h);
	return 0;
}
