/*
 * The fan-out baseline (issue 21, "Measured"): a minimal single-threaded epoll broadcast server for PluggableNet's
 * v1 framing with 5 ASCII digit headers ("00005HELLO"). Every accepted connection joins one room. A request whose
 * payload starts with '!' is broadcast, without the '!', as one frame to every member, the sender included; no answer
 * is sent to the sender. Any other request is answered "ok" (so a client knows it is registered).
 *
 * As server.c: level-triggered, one read per wake-up into a per-connection buffer that grows to the frame being
 * received. Each connection has its own output buffer: a broadcast copies header and payload into every member's
 * buffer (a plain memcpy of a few dozen bytes; a shared, reference-counted payload with writev would save only that
 * copy at this size) and puts the member on a dirty list; after every event of one epoll_wait is handled, each dirty
 * connection is sent to once, so everything one wake-up produced for a connection goes in one send. EPOLLOUT is armed
 * only after a partial send. No limits (a member that never reads grows its buffer without bound), no timeouts, no
 * logging: what a competent C programmer writes as a baseline, not a production server.
 *
 * usage: broadcast PORT [MAX_PAYLOAD]     (prints "listening PORT" once ready)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define INITIAL_BUFFER 4096
#define HEADER 5

typedef struct conn {
    int fd;
    int dead;              /* closed in this batch; freed after it */
    int dirty;             /* on the dirty list */
    int want_out;          /* EPOLLOUT armed */
    size_t member;         /* index in the room */
    unsigned char *in;
    size_t in_len, in_cap;
    unsigned char *out;
    size_t out_start, out_len, out_cap;
    struct conn *next_dirty, *next_dead;
} conn;

static size_t g_max_payload = 1024 * 1024;
static int g_ep;

/* The room: every open connection, unordered (a leaving member is replaced by the last one). */
static conn **g_room;
static size_t g_members, g_room_cap;

static conn *g_dirty, *g_dead;

static void die(const char *what) { perror(what); exit(1); }

static void *grow(void *p, size_t *cap, size_t need)
{
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : INITIAL_BUFFER;
    while (c < need) c *= 2;
    void *q = realloc(p, c);
    if (!q) die("realloc");
    *cap = c;
    return q;
}

static void join(conn *c)
{
    if (g_members == g_room_cap) {
        g_room_cap = g_room_cap ? g_room_cap * 2 : 1024;
        g_room = realloc(g_room, g_room_cap * sizeof *g_room);
        if (!g_room) die("realloc");
    }
    c->member = g_members;
    g_room[g_members++] = c;
}

static void leave(conn *c)
{
    conn *last = g_room[--g_members];
    g_room[c->member] = last;
    last->member = c->member;
}

/* Closes at once but frees after the batch: the dirty list may still point at it. */
static void close_conn(conn *c)
{
    if (c->dead) return;
    c->dead = 1;
    leave(c);
    epoll_ctl(g_ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->next_dead = g_dead;
    g_dead = c;
}

/* Appends one frame (header + payload) to the connection's output buffer and marks it for the flush. */
static void queue_frame(conn *c, const unsigned char *payload, size_t len)
{
    if (c->out_len == 0) c->out_start = 0;
    if (c->out_start > 0 && c->out_start + c->out_len + HEADER + len > c->out_cap) {
        memmove(c->out, c->out + c->out_start, c->out_len);  /* reuse the sent part before growing */
        c->out_start = 0;
    }
    c->out = grow(c->out, &c->out_cap, c->out_start + c->out_len + HEADER + len);
    unsigned char *h = c->out + c->out_start + c->out_len;
    size_t v = len;
    for (int i = HEADER - 1; i >= 0; i--) { h[i] = (unsigned char)('0' + v % 10); v /= 10; }
    memcpy(h + HEADER, payload, len);
    c->out_len += HEADER + len;
    if (!c->dirty) { c->dirty = 1; c->next_dirty = g_dirty; g_dirty = c; }
}

static void set_interest(conn *c, int want_out)
{
    if (c->want_out == want_out) return;
    struct epoll_event ev = { .events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c };
    epoll_ctl(g_ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want_out;
}

/* Sends what is pending; EPOLLOUT armed while the kernel takes less; closed on an error. */
static void flush_out(conn *c)
{
    while (c->out_len > 0) {
        ssize_t n = send(c->fd, c->out + c->out_start, c->out_len, MSG_NOSIGNAL);
        if (n > 0) { c->out_start += (size_t)n; c->out_len -= (size_t)n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) { set_interest(c, 1); return; }
        close_conn(c);
        return;
    }
    c->out_start = 0;
    set_interest(c, 0);
}

/* Handles every complete frame in the input buffer; -1 on a protocol error. */
static int process(conn *c)
{
    size_t pos = 0;
    while (c->in_len - pos >= HEADER) {
        size_t len = 0;
        for (int i = 0; i < HEADER; i++) {
            unsigned char d = c->in[pos + i];
            if (d < '0' || d > '9') return -1;
            len = len * 10 + (size_t)(d - '0');
        }
        if (len > g_max_payload) return -1;
        if (c->in_len - pos < HEADER + len) {
            c->in = grow(c->in, &c->in_cap, HEADER + len);  /* room for the whole frame: one read may finish it */
            break;
        }
        const unsigned char *p = c->in + pos + HEADER;
        if (len > 0 && p[0] == '!') {
            for (size_t m = 0; m < g_members; m++) queue_frame(g_room[m], p + 1, len - 1);
        } else {
            queue_frame(c, (const unsigned char *)"ok", 2);
        }
        pos += HEADER + len;
    }
    if (pos > 0) {
        memmove(c->in, c->in + pos, c->in_len - pos);
        c->in_len -= pos;
    }
    return 0;
}

static void accept_some(int lfd)
{
    int one = 1;
    for (int k = 0; k < 64; k++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn *nc = calloc(1, sizeof *nc);
        if (!nc) die("calloc");
        nc->fd = fd;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = nc };
        if (epoll_ctl(g_ep, EPOLL_CTL_ADD, fd, &ev) < 0) { close(fd); free(nc); continue; }
        join(nc);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: %s PORT [MAX_PAYLOAD]\n", argv[0]); return 2; }
    int port = atoi(argv[1]);
    if (argc > 2) g_max_payload = (size_t)atol(argv[2]);
    if (g_max_payload > 99999) g_max_payload = 99999;  /* what 5 digits can say */
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) die("socket");
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(lfd, 4096) < 0) die("listen");
    socklen_t alen = sizeof addr;
    getsockname(lfd, (struct sockaddr *)&addr, &alen);

    g_ep = epoll_create1(EPOLL_CLOEXEC);
    if (g_ep < 0) die("epoll_create1");
    struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
    epoll_ctl(g_ep, EPOLL_CTL_ADD, lfd, &lev);
    printf("listening %d\n", ntohs(addr.sin_port));
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(g_ep, events, MAX_EVENTS, -1);
        if (n < 0) { if (errno == EINTR) continue; die("epoll_wait"); }
        for (int i = 0; i < n; i++) {
            conn *c = events[i].data.ptr;
            if (c == NULL) { accept_some(lfd); continue; }
            if (c->dead) continue;
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                c->in = grow(c->in, &c->in_cap, c->in_len + 1);
                if (c->in_cap - c->in_len < INITIAL_BUFFER / 4) c->in = grow(c->in, &c->in_cap, c->in_cap + 1);
                ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) { close_conn(c); continue; }
                if (r > 0) {
                    c->in_len += (size_t)r;
                    if (process(c) < 0) { close_conn(c); continue; }
                }
            }
            if ((events[i].events & EPOLLOUT) && !c->dirty) flush_out(c);
        }

        /* One send per connection for everything this wake-up queued for it. */
        while (g_dirty) {
            conn *c = g_dirty;
            g_dirty = c->next_dirty;
            c->dirty = 0;
            if (!c->dead) flush_out(c);
        }
        while (g_dead) {
            conn *c = g_dead;
            g_dead = c->next_dead;
            free(c->in);
            free(c->out);
            free(c);
        }
    }
}
