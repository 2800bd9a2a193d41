/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fd-util.h"
#include "port-relay.h"

#define RELAY_BUFFER_SIZE (64 * 1024)
#define RELAY_MAX_FLOWS 64 /* connections or UDP clients, per listener: 2 fds each */
#define UDP_FLOW_IDLE_USEC (60 * 1000 * 1000ULL)
#define RELAY_PAUSE_USEC (100 * 1000ULL)

typedef struct Listener Listener;

/* A TCP connection: fd[0] the client's, fd[1] ours to the machine.
 * buf[i] holds what was read from fd[i] and is not yet written to the
 * other. */
typedef struct Connection {
        Listener *listener;
        int fd[2];
        sd_event_source *source[2];
        char *buf[2];
        size_t len[2], off[2];
        bool eof[2];
        bool connected;
        struct Connection *next;
} Connection;

/* A UDP client: fd is connected to the machine's port. */
typedef struct Flow {
        Listener *listener;
        union {
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } client;
        socklen_t client_len;
        int fd;
        sd_event_source *source, *timer;
        struct Flow *next;
} Flow;

struct Listener {
        PortForward port;
        int family;
        union {
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } target;
        socklen_t target_len;
        int fd;
        sd_event_source *source;
        sd_event_source *pause; /* out of fds: on again after RELAY_PAUSE_USEC */
        Connection *connections;
        Flow *flows;
        size_t n_flows;
};

struct PortRelay {
        Listener *listeners;
        size_t n_listeners;
};

static void connection_free(Connection *c) {
        Listener *l = c->listener;

        for (Connection **p = &l->connections; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        l->n_flows--;
                        break;
                }
        for (unsigned i = 0; i < 2; i++) {
                sd_event_source_disable_unref(c->source[i]);
                safe_close(c->fd[i]);
                free(c->buf[i]);
        }
        free(c);
}

static void flow_free(Flow *f) {
        Listener *l = f->listener;

        for (Flow **p = &l->flows; *p; p = &(*p)->next)
                if (*p == f) {
                        *p = f->next;
                        l->n_flows--;
                        break;
                }
        sd_event_source_disable_unref(f->source);
        sd_event_source_disable_unref(f->timer);
        safe_close(f->fd);
        free(f);
}

/* What each side waits for, from the state of both directions. */
static int connection_update(Connection *c) {
        for (unsigned i = 0; i < 2; i++) {
                uint32_t events = 0;
                int r;

                if (!c->connected)
                        events = i == 1 ? EPOLLOUT : 0;
                else {
                        if (!c->eof[i] && c->len[i] == 0)
                                events |= EPOLLIN;
                        if (c->len[!i] > 0)
                                events |= EPOLLOUT;
                }
                r = sd_event_source_set_io_events(c->source[i], events);
                if (r >= 0)
                        r = sd_event_source_set_enabled(c->source[i], events ? SD_EVENT_ON : SD_EVENT_OFF);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Reads from side i. Returns 0, or < 0 to drop the connection. */
static int connection_read(Connection *c, unsigned i) {
        ssize_t n = recv(c->fd[i], c->buf[i], RELAY_BUFFER_SIZE, MSG_DONTWAIT);

        if (n < 0)
                return IN_SET(errno, EAGAIN, EINTR) ? 0 : -errno;
        if (n == 0) {
                c->eof[i] = true;
                (void) shutdown(c->fd[!i], SHUT_WR);
                return 0;
        }
        c->len[i] = (size_t) n;
        c->off[i] = 0;
        return 0;
}

/* Writes to side i what the other side sent. */
static int connection_write(Connection *c, unsigned i) {
        unsigned from = !i;
        /* MSG_NOSIGNAL: a client that went away is no SIGPIPE for us. */
        ssize_t n =
                send(c->fd[i], c->buf[from] + c->off[from], c->len[from] - c->off[from], MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0)
                return IN_SET(errno, EAGAIN, EINTR) ? 0 : -errno;
        c->off[from] += (size_t) n;
        if (c->off[from] == c->len[from]) {
                c->len[from] = c->off[from] = 0;
                if (c->eof[from])
                        (void) shutdown(c->fd[i], SHUT_WR);
        }
        return 0;
}

static int on_connection_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Connection *c = userdata;
        unsigned i = fd == c->fd[1];
        int r = 0, error = 0;
        socklen_t len = sizeof error;

        if (!c->connected) {
                /* Our connect() finished, one way or the other. */
                if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &error, &len) < 0 || error != 0) {
                        connection_free(c);
                        return 0;
                }
                c->connected = true;
        } else {
                if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR) && !c->eof[i] && c->len[i] == 0)
                        r = connection_read(c, i);
                if (r >= 0 && revents & EPOLLOUT && c->len[!i] > 0)
                        r = connection_write(c, i);
        }
        if (r < 0 || (c->eof[0] && c->eof[1] && c->len[0] == 0 && c->len[1] == 0)) {
                connection_free(c);
                return 0;
        }
        if (connection_update(c) < 0)
                connection_free(c);
        return 0;
}

static int connection_new(Listener *l, int client_fd) {
        sd_event *e = sd_event_source_get_event(l->source);
        Connection *c;
        int r;

        c = calloc(1, sizeof *c);
        if (!c) {
                safe_close(client_fd);
                return -ENOMEM;
        }
        *c = (Connection) { .listener = l, .fd = { client_fd, -EBADF }, .next = l->connections };
        l->connections = c;
        l->n_flows++;

        c->buf[0] = malloc(RELAY_BUFFER_SIZE);
        c->buf[1] = malloc(RELAY_BUFFER_SIZE);
        c->fd[1] = socket(l->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (!c->buf[0] || !c->buf[1] || c->fd[1] < 0)
                r = -ENOMEM;
        else if (connect(c->fd[1], (struct sockaddr *) &l->target, l->target_len) < 0 && errno != EINPROGRESS)
                r = -errno;
        else
                r = 0;
        for (unsigned i = 0; r >= 0 && i < 2; i++)
                r = sd_event_add_io(e, &c->source[i], c->fd[i], 0, on_connection_io, c);
        r = r ?: connection_update(c);
        if (r < 0)
                connection_free(c);
        return r;
}

static int on_pause_over(sd_event_source *s, uint64_t usec, void *userdata) {
        Listener *l = userdata;

        (void) sd_event_source_set_enabled(l->source, SD_EVENT_ON);
        return 0;
}

/* Out of file descriptors: the connection waiting would wake us again at
 * once. The listener rests a while instead. */
static void listener_pause(Listener *l) {
        (void) sd_event_source_set_enabled(l->source, SD_EVENT_OFF);
        if (!l->pause)
                (void) sd_event_add_time_relative(sd_event_source_get_event(l->source), &l->pause, CLOCK_MONOTONIC,
                                                  RELAY_PAUSE_USEC, 0, on_pause_over, l);
        else {
                (void) sd_event_source_set_time_relative(l->pause, RELAY_PAUSE_USEC);
                (void) sd_event_source_set_enabled(l->pause, SD_EVENT_ONESHOT);
        }
}

static int on_tcp_listener(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Listener *l = userdata;
        int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (c < 0) {
                if (!IN_SET(errno, EAGAIN, EINTR, ECONNABORTED))
                        listener_pause(l);
                return 0;
        }
        if (l->n_flows >= RELAY_MAX_FLOWS) {
                safe_close(c);
                return 0;
        }
        (void) connection_new(l, c);
        return 0;
}

/* --- UDP ------------------------------------------------------------------ */

static int on_flow_idle(sd_event_source *s, uint64_t usec, void *userdata) {
        flow_free(userdata);
        return 0;
}

static void flow_touch(Flow *f) {
        (void) sd_event_source_set_time_relative(f->timer, UDP_FLOW_IDLE_USEC);
        (void) sd_event_source_set_enabled(f->timer, SD_EVENT_ONESHOT);
}

/* The machine answers: back to the client, from the port it wrote to. */
static int on_flow_reply(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Flow *f = userdata;
        char buf[RELAY_BUFFER_SIZE];
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);

        if (n >= 0) {
                (void) sendto(f->listener->fd, buf, (size_t) n, MSG_DONTWAIT | MSG_NOSIGNAL,
                              (struct sockaddr *) &f->client, f->client_len);
                flow_touch(f);
        }
        return 0;
}

static Flow *flow_find(Listener *l, const void *client, socklen_t len) {
        for (Flow *f = l->flows; f; f = f->next)
                if (f->client_len == len && memcmp(&f->client, client, len) == 0)
                        return f;
        return NULL;
}

static int flow_new(Listener *l, const void *client, socklen_t len, Flow **ret) {
        sd_event *e = sd_event_source_get_event(l->source);
        Flow *f;
        int r;

        if (l->n_flows >= RELAY_MAX_FLOWS || len > sizeof f->client)
                return -EBUSY;
        f = calloc(1, sizeof *f);
        if (!f)
                return -ENOMEM;
        *f = (Flow) { .listener = l, .client_len = len, .fd = -EBADF, .next = l->flows };
        memcpy(&f->client, client, len);
        l->flows = f;
        l->n_flows++;

        f->fd = socket(l->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (f->fd < 0 || connect(f->fd, (struct sockaddr *) &l->target, l->target_len) < 0)
                r = -errno;
        else
                r = sd_event_add_io(e, &f->source, f->fd, EPOLLIN, on_flow_reply, f);
        r = r ?: sd_event_add_time_relative(e, &f->timer, CLOCK_MONOTONIC, UDP_FLOW_IDLE_USEC, 0, on_flow_idle, f);
        if (r < 0) {
                flow_free(f);
                return r;
        }
        *ret = f;
        return 0;
}

static int on_udp_listener(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Listener *l = userdata;
        char buf[RELAY_BUFFER_SIZE];
        union {
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } client;
        socklen_t len = sizeof client;
        Flow *f;
        ssize_t n;

        n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *) &client, &len);
        if (n < 0)
                return 0;
        f = flow_find(l, &client, len);
        if (!f && flow_new(l, &client, len, &f) < 0)
                return 0;
        (void) send(f->fd, buf, (size_t) n, MSG_DONTWAIT | MSG_NOSIGNAL);
        flow_touch(f);
        return 0;
}

/* --- Listeners ------------------------------------------------------------ */

static int listener_open(Listener *l, const PortForward *p, const InAddrPrefix *target) {
        union {
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } a = {};
        socklen_t len;
        int type = p->protocol == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM, one = 1;

        *l = (Listener) { .port = *p, .family = target->family, .fd = -EBADF };
        if (target->family == AF_INET) {
                a.in = (struct sockaddr_in) { .sin_family = AF_INET,
                                              .sin_port = htons(p->host_port),
                                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
                l->target.in = (struct sockaddr_in) { .sin_family = AF_INET,
                                                      .sin_port = htons(p->machine_port),
                                                      .sin_addr = target->address.in };
                len = sizeof(struct sockaddr_in);
        } else {
                a.in6 = (struct sockaddr_in6) { .sin6_family = AF_INET6,
                                                .sin6_port = htons(p->host_port),
                                                .sin6_addr = in6addr_loopback };
                l->target.in6 = (struct sockaddr_in6) { .sin6_family = AF_INET6,
                                                        .sin6_port = htons(p->machine_port),
                                                        .sin6_addr = target->address.in6 };
                len = sizeof(struct sockaddr_in6);
        }
        l->target_len = len;

        l->fd = socket(target->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (l->fd < 0)
                return -errno;
        if (target->family == AF_INET6)
                (void) setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        /* TCP: past a TIME_WAIT of ours. Not for UDP, where it would share
         * the port with a host service that allows it, and take its
         * datagrams. */
        if (type == SOCK_STREAM)
                (void) setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(l->fd, (struct sockaddr *) &a, len) < 0)
                return -errno;
        if (type == SOCK_STREAM && listen(l->fd, SOMAXCONN) < 0)
                return -errno;
        return 0;
}

int port_relay_new(const PortForward *ports, size_t n_ports, const InAddrPrefix target[static 2], PortRelay **ret,
                   const PortForward **ret_port) {
        _cleanup_(port_relay_freep) PortRelay *r = NULL;
        int k;

        r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        r->listeners = calloc(n_ports * 2 + 1, sizeof(Listener));
        if (!r->listeners)
                return -ENOMEM;
        for (size_t i = 0; i < n_ports; i++)
                for (unsigned f = 0; f < 2; f++) {
                        if (target[f].family == 0)
                                continue;
                        k = listener_open(&r->listeners[r->n_listeners++], &ports[i], &target[f]);
                        if (k < 0) {
                                if (ret_port)
                                        *ret_port = &ports[i];
                                return k;
                        }
                }
        *ret = TAKE_PTR(r);
        return 0;
}

int port_relay_attach(PortRelay *r, sd_event *e) {
        for (size_t i = 0; r && i < r->n_listeners; i++) {
                Listener *l = &r->listeners[i];
                int k = sd_event_add_io(e, &l->source, l->fd, EPOLLIN,
                                        l->port.protocol == IPPROTO_UDP ? on_udp_listener : on_tcp_listener, l);
                if (k < 0)
                        return k;
        }
        return 0;
}

void port_relay_detach(PortRelay *r) {
        for (size_t i = 0; r && i < r->n_listeners; i++) {
                Listener *l = &r->listeners[i];

                while (l->connections)
                        connection_free(l->connections);
                while (l->flows)
                        flow_free(l->flows);
                l->source = sd_event_source_disable_unref(l->source);
                l->pause = sd_event_source_disable_unref(l->pause);
        }
}

PortRelay *port_relay_free(PortRelay *r) {
        if (!r)
                return NULL;
        port_relay_detach(r);
        for (size_t i = 0; i < r->n_listeners; i++)
                safe_close(r->listeners[i].fd);
        free(r->listeners);
        free(r);
        return NULL;
}
