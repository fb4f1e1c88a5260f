// The kernel's own termios (with numeric speeds) clashes with the C library's <termios.h>, so
// this file includes only the kernel's headers.
#include "CSerialLine.h"

#include <asm/ioctls.h>
#include <asm/termbits.h>

int ioctl(int fd, unsigned long request, ...);

int xbar_line_speeds(int fd, uint32_t *input, uint32_t *output) {
    struct termios2 settings;
    if (ioctl(fd, TCGETS2, &settings) != 0) return -1;
    *input = settings.c_ispeed;
    *output = settings.c_ospeed;
    return 0;
}
