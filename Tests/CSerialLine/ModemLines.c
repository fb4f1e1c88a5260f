#define _GNU_SOURCE
#include "CSerialLine.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>

enum { slotCount = 64 };

struct ModemLines {
    int inUse;
    uint64_t device;
    int outputs;
    long answered;
};

static struct ModemLines slots[slotCount];
static pthread_mutex_t slotsLock = PTHREAD_MUTEX_INITIALIZER;

typedef int (*IoctlFunction)(int, unsigned long, ...);
static IoctlFunction nextIoctl;
static pthread_once_t nextIoctlOnce = PTHREAD_ONCE_INIT;

static void findNextIoctl(void) {
    nextIoctl = (IoctlFunction)dlsym(RTLD_NEXT, "ioctl");
}

static struct ModemLines *slotFor(uint64_t device) {
    for (int index = 0; index < slotCount; index++) {
        if (slots[index].inUse && slots[index].device == device) return &slots[index];
    }
    return 0;
}

int xbar_modem_lines_attach(uint64_t device) {
    pthread_mutex_lock(&slotsLock);
    struct ModemLines *lines = slotFor(device);
    for (int index = 0; !lines && index < slotCount; index++) {
        if (!slots[index].inUse) lines = &slots[index];
    }
    if (lines) {
        lines->inUse = 1;
        lines->device = device;
        lines->outputs = TIOCM_DTR | TIOCM_RTS;
        lines->answered = 0;
    }
    pthread_mutex_unlock(&slotsLock);
    return lines ? 0 : -1;
}

void xbar_modem_lines_detach(uint64_t device) {
    pthread_mutex_lock(&slotsLock);
    struct ModemLines *lines = slotFor(device);
    if (lines) lines->inUse = 0;
    pthread_mutex_unlock(&slotsLock);
}

int xbar_modem_lines_outputs(uint64_t device) {
    pthread_mutex_lock(&slotsLock);
    struct ModemLines *lines = slotFor(device);
    int outputs = lines ? lines->outputs : -1;
    pthread_mutex_unlock(&slotsLock);
    return outputs;
}

long xbar_modem_lines_answered(uint64_t device) {
    pthread_mutex_lock(&slotsLock);
    struct ModemLines *lines = slotFor(device);
    long answered = lines ? lines->answered : -1;
    pthread_mutex_unlock(&slotsLock);
    return answered;
}

/// Answers a modem-line request on an attached device; returns 0 when answered, -1 when `fd` is
/// not an attached device (the caller then keeps the C library's ENOTTY).
static int answer(int fd, unsigned long request, void *argument) {
    struct stat status;
    if (fstat(fd, &status) != 0 || !S_ISCHR(status.st_mode) || !argument) return -1;
    pthread_mutex_lock(&slotsLock);
    struct ModemLines *lines = slotFor((uint64_t)status.st_rdev);
    if (lines) {
        const int settable = TIOCM_DTR | TIOCM_RTS;
        int *bits = argument;
        switch (request) {
        case TIOCMGET: *bits = lines->outputs | TIOCM_CTS | TIOCM_DSR | TIOCM_CD; break;
        case TIOCMSET: lines->outputs = *bits & settable; break;
        case TIOCMBIS: lines->outputs |= *bits & settable; break;
        case TIOCMBIC: lines->outputs &= ~(*bits & settable); break;
        }
        lines->answered += 1;
    }
    pthread_mutex_unlock(&slotsLock);
    return lines ? 0 : -1;
}

int ioctl(int fd, unsigned long request, ...) {
    va_list arguments;
    va_start(arguments, request);
    // Every request takes at most one argument, an integer or a pointer; both fit a pointer.
    void *argument = va_arg(arguments, void *);
    va_end(arguments);
    pthread_once(&nextIoctlOnce, findNextIoctl);
    if (!nextIoctl) {
        errno = ENOSYS;
        return -1;
    }
    int result = nextIoctl(fd, request, argument);
    if (result == -1 && errno == ENOTTY
        && (request == TIOCMGET || request == TIOCMSET || request == TIOCMBIS || request == TIOCMBIC)) {
        if (answer(fd, request, argument) == 0) return 0;
        errno = ENOTTY;
    }
    return result;
}
