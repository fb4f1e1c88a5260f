/*
 * libusb_echo: self-test client for usb_board_emulator.py.
 *
 *   libusb_echo MODE VID PID [OUT_EP IN_EP]
 *
 * MODE:
 *   echo     enumerate, print descriptors/strings, claim 0, bulk OUT a
 *            message, bulk IN the echo (5 s timeout), compare.
 *   timeout  bulk IN with nothing sent: expect LIBUSB_ERROR_TIMEOUT, then an
 *            echo round trip must still work.
 *   unplug   echo round trips until the device is unplugged, then a pending
 *            bulk IN (10 s timeout) that must fail fast; prints what libusb
 *            reports for every call afterwards.
 *   bench    round trips/s and throughput for 64-byte and 16 KiB payloads.
 *   threaded like bench (64 B), but a second thread runs the libusb event
 *            loop (the pattern of an app with a dedicated USB event thread),
 *            so ioctls on the device fd come from two threads.
 *
 * Exit code 0 on success, 1 on failure.
 */
#include <libusb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned char OUT_EP = 0x01, IN_EP = 0x81;
static libusb_context *ctx;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define FAIL(...) do { fprintf(stderr, "FAIL: " __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)

static libusb_device_handle *open_dev(uint16_t vid, uint16_t pid, int verbose)
{
	libusb_device **list;
	libusb_device_handle *h = NULL;
	ssize_t n = libusb_get_device_list(ctx, &list);
	if (n < 0)
		FAIL("libusb_get_device_list: %s", libusb_error_name((int)n));
	if (verbose)
		printf("devices enumerated: %zd\n", n);
	for (ssize_t i = 0; i < n; i++) {
		struct libusb_device_descriptor dd;
		int r = libusb_get_device_descriptor(list[i], &dd);
		if (r < 0)
			continue;
		if (verbose)
			printf("  bus %03u dev %03u id %04x:%04x class %u configs %u\n",
			       libusb_get_bus_number(list[i]), libusb_get_device_address(list[i]),
			       dd.idVendor, dd.idProduct, dd.bDeviceClass, dd.bNumConfigurations);
		if (dd.idVendor != vid || dd.idProduct != pid)
			continue;
		if (verbose) {
			struct libusb_config_descriptor *cfg;
			r = libusb_get_active_config_descriptor(list[i], &cfg);
			if (r < 0)
				FAIL("get_active_config_descriptor: %s", libusb_error_name(r));
			const struct libusb_interface_descriptor *id = &cfg->interface[0].altsetting[0];
			printf("  config %u: %u interface(s); if0 class 0x%02x, %u endpoints:",
			       cfg->bConfigurationValue, cfg->bNumInterfaces, id->bInterfaceClass,
			       id->bNumEndpoints);
			for (int e = 0; e < id->bNumEndpoints; e++)
				printf(" 0x%02x(bulk=%d,mps=%u)", id->endpoint[e].bEndpointAddress,
				       (id->endpoint[e].bmAttributes & 3) == 2,
				       id->endpoint[e].wMaxPacketSize);
			printf("\n  speed %d\n", libusb_get_device_speed(list[i]));
			libusb_free_config_descriptor(cfg);
		}
		r = libusb_open(list[i], &h);
		if (r < 0)
			FAIL("libusb_open: %s", libusb_error_name(r));
		if (verbose) {
			unsigned char s[256];
			const uint8_t idx[3] = {dd.iManufacturer, dd.iProduct, dd.iSerialNumber};
			const char *what[3] = {"manufacturer", "product", "serial"};
			for (int k = 0; k < 3; k++) {
				r = libusb_get_string_descriptor_ascii(h, idx[k], s, sizeof s);
				if (r < 0)
					FAIL("get_string_descriptor(%s): %s", what[k], libusb_error_name(r));
				printf("%s: %s\n", what[k], s);
			}
		}
		break;
	}
	libusb_free_device_list(list, 1);
	return h;
}

static void claim(libusb_device_handle *h)
{
	int r = libusb_kernel_driver_active(h, 0);
	if (r != 0)
		FAIL("kernel_driver_active: %d", r);
	r = libusb_claim_interface(h, 0);
	if (r < 0)
		FAIL("claim_interface: %s", libusb_error_name(r));
}

/* bulk OUT len bytes, then read back exactly len bytes (bulk IN may return
 * the echo in several pieces). Returns 0 or a libusb error. */
static int echo(libusb_device_handle *h, const unsigned char *out, int len,
		unsigned char *in, unsigned timeout_ms)
{
	int done = 0, r;
	r = libusb_bulk_transfer(h, OUT_EP, (unsigned char *)out, len, &done, timeout_ms);
	if (r < 0)
		return r;
	if (done != len)
		FAIL("short OUT %d/%d", done, len);
	int got = 0;
	while (got < len) {
		int n = 0;
		r = libusb_bulk_transfer(h, IN_EP, in + got, len - got, &n, timeout_ms);
		if (r < 0)
			return r;
		got += n;
	}
	return 0;
}

static int mode_echo(uint16_t vid, uint16_t pid)
{
	libusb_device_handle *h = open_dev(vid, pid, 1);
	if (!h)
		FAIL("device %04x:%04x not found", vid, pid);
	claim(h);
	const char *msg = "*IDN?\n hello crossbar \x00\x01\x02\xff\r\n";
	int len = 28;
	unsigned char in[64] = {0};
	int r = echo(h, (const unsigned char *)msg, len, in, 5000);
	if (r < 0)
		FAIL("echo: %s", libusb_error_name(r));
	if (memcmp(in, msg, len) != 0)
		FAIL("echo mismatch");
	printf("echo OK: %d bytes round-tripped byte-exact (incl. 0x00/0xff/CR/LF)\n", len);
	libusb_release_interface(h, 0);
	libusb_close(h);
	return 0;
}

static int mode_timeout(uint16_t vid, uint16_t pid)
{
	libusb_device_handle *h = open_dev(vid, pid, 0);
	if (!h)
		FAIL("device not found");
	claim(h);
	unsigned char buf[512];
	int n = -1;
	const char *e = getenv("TIMEOUT_MS");
	unsigned tmo = e ? (unsigned)atoi(e) : 300;
	double t0 = now();
	int r = libusb_bulk_transfer(h, IN_EP, buf, sizeof buf, &n, tmo);
	double dt = now() - t0;
	printf("bulk IN with no data, %u ms timeout: %s (%d), transferred=%d, after %.0f ms\n",
	       tmo, libusb_error_name(r), r, n, dt * 1e3);
	if (r != LIBUSB_ERROR_TIMEOUT)
		FAIL("expected LIBUSB_ERROR_TIMEOUT");
	if (dt < tmo / 1e3 - 0.01 || dt > tmo / 1e3 + 1.0)
		FAIL("timeout took %.3f s", dt);
	unsigned char msg[100], in[100];
	for (int i = 0; i < 100; i++)
		msg[i] = (unsigned char)(i * 7);
	r = echo(h, msg, sizeof msg, in, 5000);
	if (r < 0 || memcmp(msg, in, sizeof msg))
		FAIL("echo after timeout: %s", libusb_error_name(r));
	printf("echo after timeout OK\n");
	libusb_release_interface(h, 0);
	libusb_close(h);
	return 0;
}

static volatile int left_fired;

static int LIBUSB_CALL on_left(libusb_context *c, libusb_device *d,
			       libusb_hotplug_event ev, void *user)
{
	(void)c; (void)d; (void)user;
	if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT)
		left_fired++;
	return 0;
}

static int mode_unplug(uint16_t vid, uint16_t pid)
{
	libusb_device_handle *h = open_dev(vid, pid, 0);
	if (!h)
		FAIL("device not found");
	claim(h);
	libusb_hotplug_callback_handle cb = 0;
	if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) &&
	    libusb_hotplug_register_callback(ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, 0,
					     vid, pid, LIBUSB_HOTPLUG_MATCH_ANY,
					     on_left, NULL, &cb) != LIBUSB_SUCCESS)
		FAIL("cannot register hotplug callback");
	unsigned char msg[64], in[64];
	memset(msg, 0x5a, sizeof msg);
	int rounds = 0, r;
	/* a few good round trips first */
	for (int i = 0; i < 5; i++) {
		r = echo(h, msg, sizeof msg, in, 5000);
		if (r < 0)
			FAIL("echo before unplug: %s", libusb_error_name(r));
		rounds++;
	}
	printf("%d round trips OK; now waiting in bulk IN (10 s timeout) for the unplug\n", rounds);
	fflush(stdout);
	int n = -1;
	double t0 = now();
	r = libusb_bulk_transfer(h, IN_EP, in, sizeof in, &n, 10000);
	double dt = now() - t0;
	printf("pending bulk IN at unplug: %s (%d) transferred=%d after %.3f s\n",
	       libusb_error_name(r), r, n, dt);
	int ok = (r == LIBUSB_ERROR_NO_DEVICE);
	t0 = now();
	r = libusb_bulk_transfer(h, OUT_EP, msg, sizeof msg, &n, 5000);
	printf("bulk OUT after unplug: %s (%d) after %.3f s\n", libusb_error_name(r), r, now() - t0);
	ok = ok && r == LIBUSB_ERROR_NO_DEVICE;
	t0 = now();
	r = libusb_bulk_transfer(h, IN_EP, in, sizeof in, &n, 5000);
	printf("bulk IN after unplug: %s (%d) after %.3f s\n", libusb_error_name(r), r, now() - t0);
	ok = ok && r == LIBUSB_ERROR_NO_DEVICE;
	unsigned char s[64];
	r = libusb_get_string_descriptor_ascii(h, 3, s, sizeof s);
	printf("get_string_descriptor after unplug: %s (%d)\n", libusb_error_name(r), r);
	r = libusb_release_interface(h, 0);
	printf("release_interface after unplug: %s (%d)\n", libusb_error_name(r), r);
	libusb_close(h);
	/* the device must be gone from a fresh enumeration; libusb learns that
	 * from the "remove" uevent in its hotplug thread, so allow it a moment */
	int still = 0;
	ssize_t cnt = 0;
	t0 = now();
	do {
		libusb_device **list;
		cnt = libusb_get_device_list(ctx, &list);
		still = 0;
		for (ssize_t i = 0; i < cnt; i++) {
			struct libusb_device_descriptor dd;
			if (libusb_get_device_descriptor(list[i], &dd) == 0 &&
			    dd.idVendor == vid && dd.idProduct == pid)
				still++;
		}
		libusb_free_device_list(list, 1);
		if (still) {
			struct timespec ts = {0, 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	} while (still && now() - t0 < 2.0);
	printf("devices with %04x:%04x after unplug: %d (of %zd)\n", vid, pid, still, cnt);
	libusb_device_handle *h2 = libusb_open_device_with_vid_pid(ctx, vid, pid);
	printf("libusb_open_device_with_vid_pid after unplug: %s\n", h2 ? "opened (unexpected)" : "NULL");
	if (h2) {
		libusb_close(h2);
		ok = 0;
	}
	ok = ok && still == 0;
	t0 = now();
	while (!left_fired && now() - t0 < 2.0) {
		struct timeval tv = {0, 50000};
		libusb_handle_events_timeout_completed(ctx, &tv, NULL);
	}
	printf("hotplug DEVICE_LEFT callback: %s\n", left_fired ? "fired" : "did not fire");
	ok = ok && left_fired;
	if (cb)
		libusb_hotplug_deregister_callback(ctx, cb);
	if (!ok)
		FAIL("unexpected unplug behaviour");
	printf("unplug OK: clear LIBUSB_ERROR_NO_DEVICE, no hang\n");
	return 0;
}

static void bench_one(libusb_device_handle *h, int size, double seconds)
{
	unsigned char *msg = malloc(size), *in = malloc(size);
	for (int i = 0; i < size; i++)
		msg[i] = (unsigned char)(i * 31 + 7);
	int iters = 0;
	double t0 = now(), t;
	do {
		memset(in, 0, size);
		int r = echo(h, msg, size, in, 5000);
		if (r < 0)
			FAIL("bench echo(%d): %s", size, libusb_error_name(r));
		if (memcmp(msg, in, size))
			FAIL("bench mismatch at size %d", size);
		iters++;
		t = now() - t0;
	} while (t < seconds);
	printf("BENCH size=%d round_trips=%d time=%.3fs rate=%.0f/s latency=%.3fms "
	       "throughput=%.1f KiB/s each way\n",
	       size, iters, t, iters / t, t / iters * 1e3, iters * (double)size / t / 1024);
	free(msg);
	free(in);
}

static int mode_bench(uint16_t vid, uint16_t pid)
{
	libusb_device_handle *h = open_dev(vid, pid, 0);
	if (!h)
		FAIL("device not found");
	claim(h);
	const char *e = getenv("BENCH_SECONDS");
	double secs = e ? atof(e) : 2.0;
	bench_one(h, 64, secs);
	bench_one(h, 16384, secs);
	libusb_release_interface(h, 0);
	libusb_close(h);
	return 0;
}

static volatile int stop_events;

static void *event_thread(void *arg)
{
	(void)arg;
	while (!stop_events) {
		struct timeval tv = {0, 100000};
		libusb_handle_events_timeout_completed(ctx, &tv, NULL);
	}
	return NULL;
}

static int mode_threaded(uint16_t vid, uint16_t pid)
{
	libusb_device_handle *h = open_dev(vid, pid, 0);
	if (!h)
		FAIL("device not found");
	claim(h);
	pthread_t th;
	pthread_create(&th, NULL, event_thread, NULL);
	const char *e = getenv("BENCH_SECONDS");
	bench_one(h, 64, e ? atof(e) : 2.0);
	stop_events = 1;
	libusb_release_interface(h, 0);   /* makes the event thread return */
	libusb_close(h);
	pthread_join(th, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s echo|timeout|unplug|bench|threaded VID PID [OUT_EP IN_EP]\n", argv[0]);
		return 2;
	}
	uint16_t vid = (uint16_t)strtoul(argv[2], NULL, 16);
	uint16_t pid = (uint16_t)strtoul(argv[3], NULL, 16);
	if (argc >= 6) {
		OUT_EP = (unsigned char)strtoul(argv[4], NULL, 0);
		IN_EP = (unsigned char)strtoul(argv[5], NULL, 0);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	int r = libusb_init(&ctx);
	if (r < 0)
		FAIL("libusb_init: %s", libusb_error_name(r));
	const char *m = argv[1];
	if (!strcmp(m, "echo"))
		r = mode_echo(vid, pid);
	else if (!strcmp(m, "timeout"))
		r = mode_timeout(vid, pid);
	else if (!strcmp(m, "unplug"))
		r = mode_unplug(vid, pid);
	else if (!strcmp(m, "bench"))
		r = mode_bench(vid, pid);
	else if (!strcmp(m, "threaded"))
		r = mode_threaded(vid, pid);
	else
		FAIL("unknown mode %s", m);
	libusb_exit(ctx);
	return r;
}
