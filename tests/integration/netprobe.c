/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A static helper for the network tests, built with gcc -static so that it
 * runs both on the test's host and inside a machine:
 *
 *   netprobe serve tcp|udp PORT
 *           listens on every IPv4 and IPv6 address; answers each TCP
 *           connection, and each UDP datagram, with the peer's address and a
 *           newline (so a test sees whose packets arrive: NAT or not)
 *   netprobe ask tcp|udp ADDRESS PORT
 *           connects (sends one datagram) and prints the answer; exit 1 if
 *           the connection or the answer takes more than 5 s
 *   netprobe sink tcp PORT
 *           accepts connections one after the other and reads each to its
 *           end (a throughput benchmark's receiver)
 *   netprobe send tcp ADDRESS PORT BYTES
 *           sends BYTES zeros and prints the rate, "MBYTES/S SECONDS"
 */

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int die(const char *what) {
        fprintf(stderr, "netprobe: %s: %s\n", what, strerror(errno));
        exit(1);
}

static void peer_text(const struct sockaddr_storage *a, char *buf, size_t size) {
        if (a->ss_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *) a)->sin_addr, buf, (socklen_t) size);
        else {
                const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *) a;
                if (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr))
                        inet_ntop(AF_INET, &a6->sin6_addr.s6_addr[12], buf, (socklen_t) size);
                else
                        inet_ntop(AF_INET6, &a6->sin6_addr, buf, (socklen_t) size);
        }
        strcat(buf, "\n");
}

static int listener(int family, int type, int port) {
        int fd = socket(family, type, 0), one = 1;
        struct sockaddr_storage a = {};
        socklen_t len;

        if (fd < 0)
                die("socket");
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (family == AF_INET6) {
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
                ((struct sockaddr_in6 *) &a)->sin6_family = AF_INET6;
                ((struct sockaddr_in6 *) &a)->sin6_port = htons(port);
                len = sizeof(struct sockaddr_in6);
        } else {
                ((struct sockaddr_in *) &a)->sin_family = AF_INET;
                ((struct sockaddr_in *) &a)->sin_port = htons(port);
                len = sizeof(struct sockaddr_in);
        }
        if (bind(fd, (struct sockaddr *) &a, len) < 0)
                die("bind");
        if (type == SOCK_STREAM && listen(fd, 64) < 0)
                die("listen");
        return fd;
}

static _Noreturn void serve(int type, int port) {
        struct pollfd p[2] = {
                { .fd = listener(AF_INET, type, port), .events = POLLIN },
                { .fd = listener(AF_INET6, type, port), .events = POLLIN },
        };

        printf("listening\n");
        fflush(stdout);
        for (;;) {
                if (poll(p, 2, -1) < 0 && errno != EINTR)
                        die("poll");
                for (int i = 0; i < 2; i++) {
                        struct sockaddr_storage peer;
                        socklen_t len = sizeof peer;
                        char text[INET6_ADDRSTRLEN + 2], buf[2048];

                        if (!(p[i].revents & POLLIN))
                                continue;
                        if (type == SOCK_STREAM) {
                                int c = accept(p[i].fd, (struct sockaddr *) &peer, &len);
                                if (c < 0)
                                        continue;
                                peer_text(&peer, text, sizeof text);
                                (void) !write(c, text, strlen(text));
                                close(c);
                        } else {
                                if (recvfrom(p[i].fd, buf, sizeof buf, 0, (struct sockaddr *) &peer, &len) < 0)
                                        continue;
                                peer_text(&peer, text, sizeof text);
                                sendto(p[i].fd, text, strlen(text), 0, (struct sockaddr *) &peer, len);
                        }
                }
        }
}

/* A numeric address and port; exits on a bad one. */
static socklen_t parse_address(const char *address, const char *port, struct sockaddr_storage *ret) {
        struct sockaddr_in *a4 = (struct sockaddr_in *) ret;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *) ret;

        memset(ret, 0, sizeof *ret);
        if (inet_pton(AF_INET, address, &a4->sin_addr) == 1) {
                a4->sin_family = AF_INET;
                a4->sin_port = htons(atoi(port));
                return sizeof *a4;
        }
        if (inet_pton(AF_INET6, address, &a6->sin6_addr) == 1) {
                a6->sin6_family = AF_INET6;
                a6->sin6_port = htons(atoi(port));
                return sizeof *a6;
        }
        fprintf(stderr, "netprobe: bad address %s\n", address);
        exit(2);
}

static int connect_to(int type, const char *address, const char *port) {
        struct sockaddr_storage a;
        socklen_t len = parse_address(address, port, &a);
        int fd = socket(a.ss_family, type, 0);
        struct timeval limit = { .tv_sec = 5 }; /* a connect() that is dropped ends too */

        if (fd < 0)
                die("socket");
        if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) < 0)
                die("setsockopt");
        if (connect(fd, (struct sockaddr *) &a, len) < 0)
                die("connect");
        limit.tv_sec = 0;
        if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) < 0)
                die("setsockopt");
        return fd;
}

static int ask(int type, const char *address, const char *port) {
        struct pollfd p;
        char buf[256];
        ssize_t n;
        int fd = connect_to(type, address, port);

        if (type == SOCK_DGRAM && send(fd, "?", 1, 0) < 0)
                die("send");
        p = (struct pollfd) { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 5000) <= 0) {
                fprintf(stderr, "netprobe: no answer from %s port %s\n", address, port);
                return 1;
        }
        n = read(fd, buf, sizeof buf - 1);
        if (n <= 0) {
                fprintf(stderr, "netprobe: no answer from %s port %s\n", address, port);
                return 1;
        }
        buf[n] = '\0';
        fputs(buf, stdout);
        return 0;
}

static _Noreturn void sink(int port) {
        int l = listener(AF_INET6, SOCK_STREAM, port), l4 = listener(AF_INET, SOCK_STREAM, port);
        struct pollfd p[2] = { { .fd = l, .events = POLLIN }, { .fd = l4, .events = POLLIN } };
        static char buf[1 << 16];

        printf("listening\n");
        fflush(stdout);
        for (;;) {
                if (poll(p, 2, -1) < 0 && errno != EINTR)
                        die("poll");
                for (int i = 0; i < 2; i++) {
                        int c;

                        if (!(p[i].revents & POLLIN) || (c = accept(p[i].fd, NULL, NULL)) < 0)
                                continue;
                        while (read(c, buf, sizeof buf) > 0)
                                ;
                        close(c);
                }
        }
}

static double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int send_bytes(const char *address, const char *port, long long bytes) {
        static char buf[1 << 16];
        int fd = connect_to(SOCK_STREAM, address, port);
        double start = now();

        for (long long left = bytes; left > 0;) {
                ssize_t n = write(fd, buf, left < (long long) sizeof buf ? (size_t) left : sizeof buf);
                if (n < 0)
                        die("write");
                left -= n;
        }
        shutdown(fd, SHUT_WR);
        while (read(fd, buf, sizeof buf) > 0) /* until the receiver has it all */
                ;
        double secs = now() - start;
        printf("%.1f %.3f\n", (double) bytes / secs / 1e6, secs);
        return 0;
}

int main(int argc, char *argv[]) {
        int type;

        if (argc < 4 || (strcmp(argv[2], "tcp") != 0 && strcmp(argv[2], "udp") != 0))
                goto usage;
        type = strcmp(argv[2], "tcp") == 0 ? SOCK_STREAM : SOCK_DGRAM;
        if (strcmp(argv[1], "serve") == 0 && argc == 4)
                serve(type, atoi(argv[3]));
        if (strcmp(argv[1], "ask") == 0 && argc == 5)
                return ask(type, argv[3], argv[4]);
        if (strcmp(argv[1], "sink") == 0 && argc == 4 && type == SOCK_STREAM)
                sink(atoi(argv[3]));
        if (strcmp(argv[1], "send") == 0 && argc == 6 && type == SOCK_STREAM)
                return send_bytes(argv[3], argv[4], atoll(argv[5]));
usage:
        fprintf(stderr, "usage: netprobe serve tcp|udp PORT | ask tcp|udp ADDRESS PORT | sink tcp PORT | "
                        "send tcp ADDRESS PORT BYTES\n");
        return 2;
}
