#ifndef XBAR_SERIAL_LINE_H
#define XBAR_SERIAL_LINE_H

#include <stdint.h>

// What tests need of a pseudo-terminal that stands in for a serial port: modem lines, and the
// line speed as the kernel holds it.

// Modem control lines for pseudo-terminals, in the test executable only.
//
// A pseudo-terminal has no modem lines: TIOCMGET, TIOCMSET, TIOCMBIS and TIOCMBIC fail with
// ENOTTY, and libserialport refuses to open a port whose lines it cannot read and set. A real
// UART or USB serial adapter has them, so a test that drives libserialport against a board
// emulator behind a pseudo-terminal needs them too. This target defines `ioctl` for the test
// executable (the shipped programs never link it). Every call goes to the C library first; only
// when that fails with ENOTTY, for one of those four requests, on a terminal device attached
// here, is it answered as a null-modem cable to a powered board would answer: the outputs DTR
// and RTS as last set, the inputs CTS, DSR and CD asserted. Nothing else is changed.

/// Gives the terminal device `device` (its `st_rdev`) modem lines, DTR and RTS asserted as the
/// kernel asserts them when a real port is opened. Returns 0, or -1 when the table is full.
int xbar_modem_lines_attach(uint64_t device);

/// Takes the modem lines away from `device` again.
void xbar_modem_lines_detach(uint64_t device);

/// The output lines of `device` (a mask of TIOCM_DTR and TIOCM_RTS), or -1 when not attached.
int xbar_modem_lines_outputs(uint64_t device);

/// How many modem-line requests on `device` were answered here since it was attached, or -1
/// when not attached.
long xbar_modem_lines_answered(uint64_t device);

/// The input and output speeds of the terminal `fd` in bits per second, as the kernel holds them
/// (`TCGETS2`): numeric for every rate, including those set as `BOTHER`, which `cfgetospeed`
/// cannot express. Returns 0, or -1 with `errno` set.
int xbar_line_speeds(int fd, uint32_t *input, uint32_t *output);

#endif
