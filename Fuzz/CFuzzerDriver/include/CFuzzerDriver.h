#ifndef XBAR_FUZZER_DRIVER_H
#define XBAR_FUZZER_DRIVER_H
#include <stddef.h>
#include <stdint.h>

typedef int (*xbar_fuzz_input)(const uint8_t *data, size_t size);

/* Runs libFuzzer with the program's arguments over one input callback. */
int xbar_fuzz_run(int argc, char **argv, xbar_fuzz_input test_one_input);
#endif
