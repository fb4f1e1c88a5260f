#include "CFuzzerDriver.h"
#include <stdio.h>
#include <stdlib.h>

/* libFuzzer's entry for programs with a main of their own (LLVM 12 and later). */
int LLVMFuzzerRunDriver(int *argc, char ***argv, xbar_fuzz_input test_one_input);

static xbar_fuzz_input registered;

/* The linker may bring in libFuzzer's own main, which calls this symbol; it forwards to the
   target's callback, so the fuzzer behaves the same whichever main the program starts in. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!registered) {
        fprintf(stderr, "fuzz: no input callback registered\n");
        abort();
    }
    return registered(data, size);
}

int xbar_fuzz_run(int argc, char **argv, xbar_fuzz_input test_one_input) {
    registered = test_one_input;
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
